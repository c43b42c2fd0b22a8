"""The engine runtime: owns the engine state in one process and runs it in batches.

Group commit (ARCHITECTURE decision 2): the runtime takes every command waiting (up to
ENGINE_MAX_BATCH), runs them through risk and matching in memory, writes everything they caused in
ONE transaction, and only then replies to each caller and publishes. A reply means committed.
Batch processing runs in Django's thread for sync code (sync_to_async, thread-sensitive); replies
and publishing run in the event loop.

SIGTERM (scaled mode): the batch in hand is finished and committed, then the process exits.
"""

import asyncio
import logging
import signal
import time
import weakref
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

from engine.lock import EngineLockHeld
from engine.protocol import Reply
from engine.state import BatchOutcome, engine_start

log = logging.getLogger("quantx.engine")

_STOP = object()
_runtimes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, EngineRuntime]" = weakref.WeakKeyDictionary()


def runtime_for_this_loop(layer: Any) -> "EngineRuntime":
    """The one runtime of the running event loop (created and started on first use)."""
    loop = asyncio.get_running_loop()
    runtime = _runtimes.get(loop)
    if runtime is None:
        runtime = _runtimes[loop] = EngineRuntime(layer)
    return runtime


class EngineRuntime:
    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.max_batch: int = settings.ENGINE_MAX_BATCH
        self.failed: str | None = None
        self.stopping = False
        self.started = asyncio.Event()  # set once the state is loaded (or loading failed)
        self.task = asyncio.get_running_loop().create_task(self._run(), name="quantx-engine-runtime")

    async def submit(self, message: dict[str, Any]) -> None:
        if self.failed or self.stopping:
            why = self.failed or "the engine is shutting down"
            await self._reply(message.get("reply_to"), {"ok": False, "reason": "WORKER_INTERNAL", "msg": why})
            return
        self.inbox.put_nowait(message)

    def request_stop(self) -> None:
        log.info("engine: stop requested; finishing the batch in hand")
        self.stopping = True
        self.inbox.put_nowait(_STOP)

    async def _run(self) -> None:
        try:
            state = await sync_to_async(engine_start, thread_sensitive=True)()
        except Exception as exc:
            if isinstance(exc, EngineLockHeld):
                log.error("engine: not started: %s (exactly one engine worker may run)", exc)
            else:
                log.exception("engine: failed to start")
            self.failed = f"the engine failed to start: {exc}"
            self.started.set()
            await self._fail_waiting()
            if not settings.ENGINE_EMBEDDED:
                raise SystemExit(1) from exc
            return
        self.started.set()
        if not settings.ENGINE_EMBEDDED:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.request_stop)
        while True:
            batch, stop = await self._next_batch()
            if batch:
                started = time.perf_counter()
                outcome = await sync_to_async(state.process_batch, thread_sensitive=True)(batch)
                committed = time.perf_counter()
                await self._deliver(outcome)
                log.debug("engine: batch of %d: %.2f ms to commit, %.2f ms to reply", len(batch),
                          (committed - started) * 1e3, (time.perf_counter() - committed) * 1e3)  # fmt: skip
            if stop:
                log.info("engine: stopped cleanly after committing the last batch")
                raise SystemExit(0)

    async def _next_batch(self) -> tuple[list[dict[str, Any]], bool]:
        """Waits for one message, then takes whatever else is already waiting, up to max_batch."""
        first = await self.inbox.get()
        if first is _STOP:
            return [], True
        batch = [first]
        while len(batch) < self.max_batch and not self.inbox.empty():
            message = self.inbox.get_nowait()
            if message is _STOP:
                return batch, True
            batch.append(message)
        return batch, False

    async def _deliver(self, outcome: BatchOutcome) -> None:
        for reply_to, reply in outcome.replies:
            await self._reply(reply_to, reply)
        if outcome.publish is not None:
            try:
                await outcome.publish(self.layer)
            except Exception:
                log.exception("engine: publishing market data failed (the batch is committed)")

    async def _reply(self, reply_to: str | None, reply: Reply) -> None:
        if not reply_to:
            return
        try:
            await self.layer.send(reply_to, reply)
        except Exception:
            log.warning("engine: could not reply on %s", reply_to, exc_info=True)

    async def _fail_waiting(self) -> None:
        while not self.inbox.empty():
            message = self.inbox.get_nowait()
            if message is not _STOP:
                await self._reply(
                    message.get("reply_to"), {"ok": False, "reason": "WORKER_INTERNAL", "msg": self.failed}
                )
