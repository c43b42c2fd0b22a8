"""How web and API processes talk to the engine worker: send a command, wait for the reply.

A reply means the command's effects are committed (ARCHITECTURE decision 2). No reply in time
means its outcome is unknown: callers report that (HTTP 503, code -1007) and the client looks the
order up by client_order_id. In the embedded mode the worker is started inside this process's
event loop on first use.
"""

import asyncio
import logging
import threading
import uuid

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings

from engine.protocol import (
    COMMAND_TYPE,
    ENGINE_CHANNEL,
    REPLY_CHANNEL_PREFIX,
    REPLY_TIMEOUT_SECONDS,
    Command,
    Reply,
)

log = logging.getLogger("quantx.engine")


class EngineUnavailable(Exception):
    """The engine did not reply in time; the command may or may not have been executed."""


class EngineBusy(Exception):
    """The engine's queue is full; the command was not delivered and can be retried."""


async def engine_request(command: Command, *, timeout: float = REPLY_TIMEOUT_SECONDS) -> Reply:
    """Sends one command to the engine worker and returns its reply (committed)."""
    from engine.embedded import ensure_embedded_engine

    layer = get_channel_layer()
    ensure_embedded_engine(layer)
    reply_to = f"{REPLY_CHANNEL_PREFIX}{uuid.uuid4().hex}"
    try:
        await layer.send(ENGINE_CHANNEL, {"type": COMMAND_TYPE, "reply_to": reply_to, "command": command})
    except ChannelFull:
        raise EngineBusy("engine queue is full") from None
    except Exception as exc:  # e.g. Redis down: whether the command got through is unknown
        log.warning("engine: sending a command failed: %r", exc)
        raise EngineUnavailable(f"the channel layer failed: {exc}") from None
    try:
        reply: Reply = await asyncio.wait_for(layer.receive(reply_to), timeout)
    except TimeoutError:
        raise EngineUnavailable(f"no reply from the engine within {timeout} s") from None
    except Exception as exc:
        log.warning("engine: waiting for a reply failed: %r", exc)
        raise EngineUnavailable(f"the channel layer failed: {exc}") from None
    return reply


def engine_request_sync(command: Command, *, timeout: float = REPLY_TIMEOUT_SECONDS) -> Reply:
    """`engine_request` for sync code (DRF views, admin actions, management commands).

    Embedded mode: on the web process's own loop (where the engine and the in-memory layer live).
    Scaled mode: on one long-lived loop per process, so every request of a WSGI worker reuses the
    same Redis connections instead of building a new event loop and connection pool each time.
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
