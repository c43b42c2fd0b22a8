"""A minimal WebSocket client on asyncio and the standard library (RFC 6455, text frames).

Enough to follow QuantX streams from a Python program without extra packages: the integration
tests and the fan-out benchmark use it, and docs/websocket.md shows it. Not a general client: no
TLS, no extensions, no fragmented sends. Frames are parsed in `data_received` from one buffer, so
one process can follow a thousand sockets.
"""

import asyncio
import base64
import os
import struct
from collections import deque
from collections.abc import Callable

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class ConnectionClosed(Exception):
    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(f"closed with code {code} {reason}".strip())
        self.code = code
        self.reason = reason


def _frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    key = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big") if n else b""
    return header + mask + masked


class WebSocketClient(asyncio.Protocol):
    """One connection. Messages go to `on_message(text)` if given, else to `recv()`."""

    def __init__(self, on_message: Callable[[str], None] | None = None) -> None:
        self.on_message = on_message
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._handshake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._messages: deque[str] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._fragments: list[bytes] = []
        self.closed: ConnectionClosed | None = None

    # --- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if not self._handshake.done():
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self._buf[:end]).decode("latin1")
            del self._buf[: end + 4]
            if not head.startswith("HTTP/1.1 101"):
                self._handshake.set_exception(ConnectionClosed(None, head.split("\r\n", 1)[0]))
                return
            self._handshake.set_result(None)
        self._parse()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed is None:
            self.closed = ConnectionClosed(1006, "connection lost")
        if not self._handshake.done():
            self._handshake.set_exception(self.closed)
        self._wake()

    # --- frames

    def _parse(self) -> None:
        buf = self._buf
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            n = b1 & 0x7F
            offset = 2
            if n == 126:
                if len(buf) < 4:
                    return
                n = struct.unpack_from("!H", buf, 2)[0]
                offset = 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n = struct.unpack_from("!Q", buf, 2)[0]
                offset = 10
            if len(buf) < offset + n:
                return
            payload = bytes(buf[offset : offset + n])
            del buf[: offset + n]
            self._on_frame(b0 & 0x80, b0 & 0x0F, payload)

    def _on_frame(self, fin: int, opcode: int, payload: bytes) -> None:
        if opcode == OP_PING:
            self._write(_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            code = struct.unpack_from("!H", payload)[0] if len(payload) >= 2 else None
            self.closed = ConnectionClosed(code, payload[2:].decode("utf8", "replace"))
            self._write(_frame(OP_CLOSE, payload[:2]))
            if self.transport is not None:
                self.transport.close()
            self._wake()
        elif opcode in (OP_TEXT, OP_BINARY, OP_CONT):
            self._fragments.append(payload)
            if fin:
                text = b"".join(self._fragments).decode("utf8")
                self._fragments.clear()
                if self.on_message is not None:
                    self.on_message(text)
                else:
                    self._messages.append(text)
                    self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    # --- API

    async def recv(self, timeout: float | None = None) -> str:
        """The next message; ConnectionClosed once the server closed and nothing is left."""
        while not self._messages:
            if self.closed is not None:
                raise self.closed
            self._waiter = asyncio.get_running_loop().create_future()
            await asyncio.wait_for(self._waiter, timeout)
        return self._messages.popleft()

    def send(self, text: str) -> None:
        self._write(_frame(OP_TEXT, text.encode()))

    async def close(self, code: int = 1000) -> None:
        if self.closed is None:
            self._write(_frame(OP_CLOSE, struct.pack("!H", code)))
        if self.transport is not None:
            self.transport.close()


async def ws_connect(
    host: str, port: int, path: str = "/ws/v1/", *, on_message: Callable[[str], None] | None = None,
    headers: dict[str, str] | None = None, timeout: float = 10,
) -> WebSocketClient:  # fmt: skip
    """Opens a connection and completes the handshake."""
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(lambda: WebSocketClient(on_message), host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    client._write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await asyncio.wait_for(client._handshake, timeout)
    return client
