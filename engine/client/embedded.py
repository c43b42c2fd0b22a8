"""Embedded mode: the engine worker runs inside the web process's event loop.

daphne implements no ASGI lifespan (django/daphne#264), so there is no start-up hook to hang the
worker on; it starts on first use instead: the first engine request in an event loop starts the
same Channels worker `manage.py runworker engine` runs in the scaled mode, in that loop. One code
path, two ways to host it. This is the one place the client imports the worker, and only when
settings.ENGINE_EMBEDDED is on.
"""

import asyncio
import contextvars
import weakref
from typing import Any

from django.conf import settings

from engine.client.protocol import ENGINE_CHANNEL

_workers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[Any]]" = (
    weakref.WeakKeyDictionary()
)
_sweepers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[Any]]" = (
    weakref.WeakKeyDictionary()
)


def ensure_embedded_engine(layer: Any) -> None:
    """Starts the engine worker in the running loop, once, when settings.ENGINE_EMBEDDED."""
    if not settings.ENGINE_EMBEDDED:
        return
    loop = asyncio.get_running_loop()
    task = _workers.get(loop)
    if task is not None and not task.done():
        return
    from engine.worker.pipeline import EngineWorker

    worker = EngineWorker(application=None, channels=[ENGINE_CHANNEL], channel_layer=layer)
    # A fresh context: the task must not inherit the first request's context (asgiref keeps the
    # request's sync-thread executor there, which is gone once that request ends).
    _workers[loop] = loop.create_task(
        worker.arun(), name="quantx-embedded-engine", context=contextvars.Context()
    )
    sweeper = _sweepers.get(loop)
    if settings.WITHDRAWAL_AUTO_COMPLETE_SECONDS and (sweeper is None or sweeper.done()):
        # the demo's stand-in for staff approving withdrawals
        from accounts.withdrawal_autocomplete import withdrawals_auto_complete_forever

        _sweepers[loop] = loop.create_task(
            withdrawals_auto_complete_forever(seconds=settings.WITHDRAWAL_AUTO_COMPLETE_SECONDS),
            name="quantx-withdrawals-auto-complete",
            context=contextvars.Context(),
        )
