"""Each web process's fan-out hub: ONE channel-layer receiver for every local WebSocket.

The hub joins FANOUT_GROUP with a channel of its own and receives the engine's one message per
batch. Each message carries ready-made frames (JSON text serialized once by the engine) with their
routing key and seq; the hub looks up the local subscriptions of each key in a dict and hands the
same text to each of them. No layer round trip per subscriber, no JSON work per socket.

Per socket, an `Outbox` writes frames in order: at once when nothing waits and the server offers a
direct write (daphne: marketdata.transport), else queued and drained by one task. It is bounded
(SEND_QUEUE_MAX): a socket that falls that far behind is sent a TOO_SLOW error and closed with
CloseCode.TOO_SLOW instead of having frames dropped silently. Under daphne the outbox stops
writing while the socket's kernel and Twisted buffers are full (marketdata.transport), which is
what makes a slow reader's outbox fill up.

A subscription buffers its frames while its snapshot is being read (`Subscription.go_live`), so a
subscriber joins the stream BEFORE the snapshot and drops what the snapshot already contains.
"""

import asyncio
import logging
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from marketdata.gcpolicy import GcPolicy
from marketdata.protocol import (
    BATCH_MESSAGE_TYPE,
    FANOUT_GROUP,
    GROUP_REJOIN_SECONDS,
    HEARTBEAT_SECONDS,
    SEND_QUEUE_MAX,
)

log = logging.getLogger("quantx.marketdata")

GC_TICK_SECONDS = 1.0
GC_POLICY = True
"""marketdata.gcpolicy: without it, full collections stop a process with 1000 sockets ~200 ms."""

Send = Callable[[dict[str, Any]], Awaitable[None]]


class Frame:
    """One server frame's text, shared by every socket it goes to; under daphne also framed once as
    an autobahn PreparedMessage (marketdata.transport) instead of once per socket."""

    __slots__ = ("_prepared", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._prepared: tuple[Any, Any] | None = None  # (factory, prepared message)

    def prepared(self, factory: Any) -> Any:
        cached = self._prepared
        if cached is None or cached[0] is not factory:
            cached = self._prepared = (factory, factory.prepareMessage(self.text.encode()))
        return cached[1]


DirectWrite = Callable[[list[Frame]], None]


class Outbox:
    """The frames waiting for one socket, written in order.

    A frame is written at once when nothing waits and the server offers a direct, synchronous write
    (daphne: marketdata.transport); otherwise it queues and one task writes it through the ASGI
    `send`. Bounded: see `overflow`.
    """

    def __init__(self, send: Send, *, limit: int, overflow_text: str, overflow_close_code: int) -> None:
        self._send = send
        self.direct: DirectWrite | None = None
        self._pending: deque[Frame] = deque()
        self._limit = limit
        self._overflow = (overflow_text, overflow_close_code)
        self._wake = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()
        self.closed = False
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._run(), name="quantx-ws-outbox")

    def push(self, frame: Frame) -> None:
        self.push_many([frame])

    def push_many(self, frames: list[Frame]) -> None:
        """Frames for this socket, in order (a batch's frames go out in one write when possible)."""
        if self.closed:
            return
        if self.direct is not None and not self._pending and self._writable.is_set():
            self._write_now(frames)
            return
        if len(self._pending) + len(frames) > self._limit:
            self.overflow()
            return
        self._pending.extend(frames)
        self._wake.set()

    def _write_now(self, frames: list[Frame]) -> None:
        try:
            self.direct(frames)  # type: ignore[misc]
        except Exception:
            log.warning("marketdata: writing to a socket failed; it stops receiving", exc_info=True)
            self.closed = True

    def overflow(self) -> None:
        """The socket is too far behind: drop what waits, tell it why and close it."""
        self.finish(*self._overflow)

    def finish(self, text: str, close_code: int) -> None:
        """Drops what waits, sends one last frame and closes the socket.

        The writer is replaced, not awaited: it may be stuck in a `send` that waits for a client
        that does not read (a server with flow control).
        """
        if self.closed:
            return
        self.closed = True
        self._pending.clear()
        self._task.cancel()
        self._task = asyncio.get_running_loop().create_task(
            self._last(text, close_code), name="quantx-ws-close"
        )

    def pause(self) -> None:
        """The transport's buffers are full (backpressure): stop writing until resume()."""
        self._writable.clear()

    def resume(self) -> None:
        self._writable.set()

    def stop(self) -> None:
        """The socket is gone: forget everything."""
        self.closed = True
        self._pending.clear()
        self._task.cancel()

    async def _run(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._pending and not self.closed:
                    if not self._writable.is_set():
                        await self._writable.wait()
                        continue
                    if self.direct is not None:
                        frames = list(self._pending)
                        self._pending.clear()
                        self._write_now(frames)
                    else:
                        frame = self._pending.popleft()
                        await self._send({"type": "websocket.send", "text": frame.text})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("marketdata: writing to a socket failed; it stops receiving", exc_info=True)
            self.closed = True

    async def _last(self, text: str, close_code: int) -> None:
        try:
            await self._send({"type": "websocket.send", "text": text})
            # A plain int: autobahn refuses an IntEnum ("invalid type") and the socket stayed open.
            await self._send({"type": "websocket.close", "code": int(close_code)})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("marketdata: could not close a socket", exc_info=True)


class Subscription:
    """One socket's subscription to one routing key."""

    __slots__ = ("_buffer", "channel", "key", "last_seq", "outbox")

    def __init__(self, key: str, channel: str, outbox: Outbox) -> None:
        self.key = key
        self.channel = channel
        self.outbox = outbox
        self.last_seq: int | None = None
        self._buffer: list[tuple[int, Frame]] | None = []  # until the snapshot is sent

    def offer(self, seq: int, frame: Frame) -> bool:
        """True if the frame is to be sent now; False if it waits for the snapshot (or was refused)."""
        buffer = self._buffer
        if buffer is None:
            self.last_seq = seq
            return True
        if len(buffer) >= SEND_QUEUE_MAX:
            self.outbox.overflow()
        else:
            buffer.append((seq, frame))
        return False

    def go_live(self, snapshot_seq: int, snapshot: Frame) -> None:
        """Sends the snapshot, then the buffered frames it does not contain (seq > snapshot_seq)."""
        buffered, self._buffer = self._buffer or [], None
        self.outbox.push(snapshot)
        self.last_seq = snapshot_seq
        for seq, frame in buffered:
            if seq > snapshot_seq:
                self.last_seq = seq
                self.outbox.push(frame)

    def restart(self) -> None:
        """Back to buffering, for a fresh snapshot (a client re-subscribing to resynchronise)."""
        self._buffer = []


class Listener(Protocol):
    """What the hub calls on each session at every heartbeat tick."""

    def heartbeat(self, now_ms: int) -> None: ...


class Hub:
    """The process's fan-out: routing key -> local subscriptions."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.routes: dict[str, set[Subscription]] = {}
        self.listeners: set[Listener] = set()
        self.channel: str | None = None
        self.gc = GcPolicy(enabled=GC_POLICY)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Starts receiving; joining the group happens in the receive loop, so a layer that is down
        right now delays the frames (clients see the gap by seq) but never fails a connection."""
        self.channel = await self.layer.new_channel()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._receive_loop(), name="quantx-marketdata-hub"),
            loop.create_task(self._tick_loop(), name="quantx-marketdata-heartbeat"),
            loop.create_task(self._gc_loop(), name="quantx-marketdata-gc"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.channel is not None:
            try:
                await self.layer.group_discard(FANOUT_GROUP, self.channel)
            except Exception:
                log.warning("marketdata: could not leave the fan-out group", exc_info=True)

    def add(self, sub: Subscription) -> None:
        self.routes.setdefault(sub.key, set()).add(sub)

    def remove(self, sub: Subscription) -> None:
        subs = self.routes.get(sub.key)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.routes[sub.key]

    def dispatch(self, message: dict[str, Any]) -> None:
        """Hands each frame to every local subscription of its key; each socket then gets all of
        the message's frames for it at once (one write under daphne)."""
        routes = self.routes
        out: dict[Outbox, list[Frame]] = {}
        for key, seq, text in message["frames"]:
            subs = routes.get(key)
            if subs:
                frame = Frame(text)
                for sub in subs:
                    if sub.offer(seq, frame):
                        frames = out.get(sub.outbox)
                        if frames is None:
                            out[sub.outbox] = [frame]
                        else:
                            frames.append(frame)
        for outbox, frames in out.items():
            outbox.push_many(frames)

    async def _join(self) -> None:
        assert self.channel is not None
        await self.layer.group_add(FANOUT_GROUP, self.channel)

    async def _receive_loop(self) -> None:
        assert self.channel is not None
        await self._rejoin()
        backoff = 0.1
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The layer is down (a Redis restart): retry, and re-join, since Redis forgot the group.
                log.warning("marketdata: hub receive failed; retrying in %.1f s", backoff, exc_info=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                await self._rejoin()
                continue
            backoff = 0.1
            if message.get("type") == BATCH_MESSAGE_TYPE:
                self.dispatch(message)

    async def _rejoin(self) -> None:
        try:
            await self._join()
        except Exception:
            log.warning("marketdata: could not re-join the fan-out group", exc_info=True)

    async def _gc_loop(self) -> None:
        while True:
            await asyncio.sleep(GC_TICK_SECONDS)
            self.gc.tick(len(self.listeners))

    def listener_add(self, listener: Listener) -> None:
        """A new socket's session (heartbeats; the GC policy counts sockets)."""
        self.listeners.add(listener)
        self.gc.socket_opened()

    def listener_remove(self, listener: Listener) -> None:
        if listener in self.listeners:
            self.listeners.discard(listener)
            self.gc.socket_closed()

    async def _tick_loop(self) -> None:
        last_join = time.monotonic()
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            now_ms = time.time_ns() // 1_000_000
            for listener in list(self.listeners):
                listener.heartbeat(now_ms)
            if time.monotonic() - last_join >= GROUP_REJOIN_SECONDS:
                last_join = time.monotonic()
                await self._rejoin()


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[Hub]]" = weakref.WeakKeyDictionary()


async def hub_get(layer: Any) -> Hub:
    """The running event loop's hub, started on first use (concurrent first callers share it)."""
    loop = asyncio.get_running_loop()
    task = _hubs.get(loop)
    if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
        task = _hubs[loop] = loop.create_task(_hub_start(layer), name="quantx-marketdata-hub-start")
    return await asyncio.shield(task)


async def _hub_start(layer: Any) -> Hub:
    hub = Hub(layer)
    await hub.start()
    return hub


async def hub_stop() -> None:
    """Stops this loop's hub (tests; a web process keeps its hub for life)."""
    task = _hubs.pop(asyncio.get_running_loop(), None)
    if task is not None and task.done() and not task.cancelled() and task.exception() is None:
        await task.result().stop()
