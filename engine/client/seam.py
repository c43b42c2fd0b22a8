"""How web and API processes talk to the engine worker: send a command, wait for the reply.

A reply means the command's effects are committed (ARCHITECTURE decision 2). No reply in time
means its outcome is unknown: callers report that (HTTP 503, code -1007) and the client looks the
order up by client_order_id. In the embedded mode the worker is started inside this process's
event loop on first use.

Each event loop of a process has ONE reply channel (`engine-reply.<hex>`) and one listener task
that takes every waiting reply in one round trip (the layer's batch extension, engine.client.layers)
and hands each to its waiting request by request id. A command costs one round trip to send, and
its reply shares a receive with the replies of every other request in flight.
"""

import asyncio
import itertools
import logging
import threading
import uuid
import weakref
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from engine.client.embedded import ensure_embedded_engine
from engine.client.protocol import (
    COMMAND_TYPE,
    ENGINE_CHANNEL,
    INSTRUMENTS_VERSION,
    REPLY_BATCH,
    REPLY_CHANNEL_PREFIX,
    REPLY_TIMEOUT_SECONDS,
    Command,
    Reply,
)

log = logging.getLogger("quantx.engine")
LISTEN_RETRY_SECONDS = 0.5


class EngineUnavailable(Exception):
    """The engine did not reply in time; the command may or may not have been executed."""


class EngineBusy(Exception):
    """The engine's queue is full; the command was not delivered and can be retried."""


class _ReplyRouter:
    """One event loop's reply channel, its listener task and the requests waiting on it."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel = f"{REPLY_CHANNEL_PREFIX}{uuid.uuid4().hex}"
        self.waiting: dict[int, asyncio.Future[Reply]] = {}
        self.ids = itertools.count(1)
        self.listener: asyncio.Task[None] | None = None

    async def request(self, command: Command, timeout: float) -> Reply:
        if self.listener is None or self.listener.done():
            self.listener = asyncio.get_running_loop().create_task(
                self._listen(), name="quantx-engine-replies"
            )
        rid = next(self.ids)
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self.waiting[rid] = future
        message = {"type": COMMAND_TYPE, "reply_to": self.channel, "rid": rid, "command": command}
        try:
            try:
                refused = await self.layer.send_many([(ENGINE_CHANNEL, message)])
            except Exception as exc:  # e.g. Redis down: whether the command got through is unknown
                log.warning("engine: sending a command failed: %r", exc)
                raise EngineUnavailable(f"the channel layer failed: {exc}") from None
            if refused:
                raise EngineBusy("engine queue is full")
            try:
                async with asyncio.timeout(timeout):  # (wait_for would wrap the future in a task)
                    return await future
            except TimeoutError:
                raise EngineUnavailable(f"no reply from the engine within {timeout} s") from None
        finally:
            self.waiting.pop(rid, None)

    async def _listen(self) -> None:
        while True:
            try:
                messages = await self.layer.receive_many(self.channel, REPLY_BATCH)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the layer is down: the waiting requests time out
                log.warning("engine: receiving replies failed (%r); retrying", exc)
                await asyncio.sleep(LISTEN_RETRY_SECONDS)
                continue
            for message in messages:
                _instruments_version_seen(message.get(INSTRUMENTS_VERSION))
                future = self.waiting.pop(message.get("rid"), None)  # None: its caller gave up
                if future is not None and not future.done():
                    future.set_result(message["reply"])


_version_listeners: list[Callable[[str], None]] = []
_last_version: str | None = None


def on_instruments_version(listener: Callable[[str], None]) -> None:
    """Registers `listener(token)`, called when a reply shows the engine's instruments changed."""
    _version_listeners.append(listener)


def _instruments_version_seen(version: Any) -> None:
    global _last_version
    if isinstance(version, str) and version != _last_version:
        _last_version = version
        for listener in _version_listeners:
            listener(version)


_routers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _ReplyRouter]" = weakref.WeakKeyDictionary()


async def engine_request(command: Command, *, timeout: float = REPLY_TIMEOUT_SECONDS) -> Reply:
    """Sends one command to the engine worker and returns its reply (committed)."""
    layer = get_channel_layer()
    ensure_embedded_engine(layer)
    loop = asyncio.get_running_loop()
    router = _routers.get(loop)
    if router is None:
        router = _routers[loop] = _ReplyRouter(layer)
    return await router.request(command, timeout)


def engine_request_sync(command: Command, *, timeout: float = REPLY_TIMEOUT_SECONDS) -> Reply:
    """`engine_request` for sync code (DRF views, admin actions, management commands).

    Embedded mode: on the web process's own loop (where the engine and the in-memory layer live).
    Scaled mode: on one long-lived loop per process, so every request of a WSGI worker shares the
    same Redis connections and the same reply listener.
    """
    if settings.ENGINE_EMBEDDED:
        return async_to_sync(engine_request)(command, timeout=timeout)
    future = asyncio.run_coroutine_threadsafe(engine_request(command, timeout=timeout), _client_loop())
    return future.result()


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _client_loop() -> asyncio.AbstractEventLoop:
    """This process's engine-client loop, started on first use (after any fork) in a daemon thread."""
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="quantx-engine-client", daemon=True).start()
        return _loop
