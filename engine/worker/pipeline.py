"""The engine worker: a pipeline of intake, apply, commit, reply and publish (LMAX-style).

ARCHITECTURE decision 2. The stages overlap instead of adding up:

- intake: `EngineWorker.listener` takes every waiting command from the engine channel in one
  round trip (the layer's batch extension) and queues them here;
- apply: the waiting commands (up to ENGINE_MAX_BATCH) run through risk and matching in memory, in
  the apply thread, and are frozen into rows (engine.worker.batch);
- commit: batch N's rows are written in ONE transaction in the commit thread, while batch N+1 is
  already being taken in and applied; N+1 commits after N (at most MAX_IN_FLIGHT batches are
  applied and not yet committed);
- reply: as soon as N commits, all its replies leave in one round trip (a reply means committed);
- publish: N's hooks' after-commit work (market data) runs in batch order in its own task, so it
  never delays intake or replies.

Failure rules:
- N's commit fails: the state is rebuilt from the database, N's callers are answered "not
  committed" (WORKER_INTERNAL: nothing was written, retry), and every later batch already applied
  (nobody was answered for them) is applied again against the rebuilt state;
- a newer worker has fenced this one out (engine.worker.lock.FencedOut): everything not committed
  is answered "not committed" and the worker stops (exit 1 in the scaled mode);
- a command raises while being applied: once the commit in flight is settled, the state is rebuilt
  and the batch applied again without it (it alone is answered WORKER_INTERNAL).
A command taken in but not committed when the worker dies is never answered: its caller gets
"status unknown" (503 -1007) and retries with the same client order id.

Threads: in the scaled mode apply and commit each have a thread (and a database connection) of
their own; in the embedded mode both run in Django's one sync thread (tests run every engine write
inside their own transaction), so only intake, replies and publishing overlap there.

SIGTERM (scaled mode): intake stops, what was taken in is applied and committed, then the
process exits 0.
"""

import asyncio
import logging
import signal
import time
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from channels.worker import Worker
from django.conf import settings
from django.db import connection

from engine.client.protocol import ENGINE_CHANNEL, INSTRUMENTS_VERSION
from engine.worker.batch import NOT_COMMITTED, Applied, BatchRunner
from engine.worker.lock import EngineLockHeld, FencedOut, engine_lock_acquire, fence_acquire
from engine.worker.recovery import state_load
from engine.worker.timers import timers_clock

log = logging.getLogger("quantx.engine")

MAX_IN_FLIGHT = 2
"""Batches applied in memory and not yet committed (one committing, the next one waiting)."""
INTAKE_RETRY_SECONDS = 1.0
REBUILD_RETRY_SECONDS = 1.0
T = TypeVar("T")

_runtimes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, EngineRuntime]" = weakref.WeakKeyDictionary()


def runtime_for_this_loop(layer: Any) -> "EngineRuntime":
    """The one runtime of the running event loop (created and started on first use)."""
    loop = asyncio.get_running_loop()
    runtime = _runtimes.get(loop)
    if runtime is None:
        runtime = _runtimes[loop] = EngineRuntime(layer)
    return runtime


def engine_start() -> BatchRunner:
    """Takes the single-writer lock, fences out any earlier writer, rebuilds the state."""
    engine_lock_acquire()
    epoch = fence_acquire()
    return BatchRunner(state_load(), epoch=epoch)


class EngineRuntime:
    """The pipeline of one worker process (see the module docstring)."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.max_batch: int = settings.ENGINE_MAX_BATCH
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=4 * self.max_batch)
        self.failed: str | None = None
        self.stopping = False
        self.started = asyncio.Event()  # set once the state is loaded (or loading failed)
        self.stats = {"batches": 0, "commands": 0}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._publishing: asyncio.Queue[list[Any]] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._pending: deque[Applied] = deque()  # applied, not yet committed, oldest first
        self._commit: asyncio.Future[float] | None = None  # the commit of _pending[0], if started
        if settings.ENGINE_EMBEDDED:
            self._apply_thread = self._commit_thread = _django_sync_thread
        else:
            self._apply_thread = _own_thread("quantx-engine-apply")
            self._commit_thread = _own_thread("quantx-engine-commit")
        self.task = asyncio.get_running_loop().create_task(self._run(), name="quantx-engine-runtime")

    # ------------------------------------------------------------------ intake

    async def submit_many(self, messages: list[dict[str, Any]]) -> None:
        """Queues commands for the next batch (waits while the queue is full: backpressure)."""
        if self.failed or self.stopping:
            why = self.failed or "the engine is shutting down"
            failure = {"ok": False, "reason": "WORKER_INTERNAL", "msg": why}
            await self._send_replies([(m, failure) for m in messages])
            return
        for message in messages:
            await self.inbox.put(message)
        self._wake.set()

    async def published(self) -> None:
        """Waits until every committed batch's after-commit steps (market data) have run."""
        await self._publishing.join()

    def request_stop(self) -> None:
        log.info("engine: stop requested; committing what was taken in")
        self.stopping = True
        self._wake.set()

    def _take(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        while len(batch) < self.max_batch and not self.inbox.empty():
            batch.append(self.inbox.get_nowait())
        return batch

    # ------------------------------------------------------------------ the pipeline

    async def _run(self) -> None:
        if not settings.ENGINE_EMBEDDED:  # before loading: a SIGTERM during recovery stops cleanly too
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.request_stop)
        try:
            runner = await self._commit_thread(engine_start)
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
        publisher = asyncio.ensure_future(self._publish_in_order())
        clock = asyncio.ensure_future(timers_clock(self, runner))  # the dead-man's switch's ticks
        try:
            await self._pipeline(runner)
        except FencedOut as exc:
            log.error("engine: %s; stopping", exc)
            self.failed = str(exc)
            await self._fail_waiting()
            if not settings.ENGINE_EMBEDDED:
                raise SystemExit(1) from exc
            return
        finally:
            clock.cancel()
        log.info("engine: stopped cleanly after committing the last batch")
        await self.published()
        publisher.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        raise SystemExit(0)

    async def _pipeline(self, runner: BatchRunner) -> None:
        while True:
            if self._commit is None and self._pending:
                self._commit = asyncio.ensure_future(self._commit_head(runner))
            if len(self._pending) < MAX_IN_FLIGHT and not self.inbox.empty():
                applied = await self._apply(runner, self._take())
                if applied is not None:
                    self._pending.append(applied)
                continue
            if self._commit is None:
                if self.stopping and self.inbox.empty():
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            waiter = asyncio.ensure_future(self._wake.wait())
            await asyncio.wait({self._commit, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            self._wake.clear()
            if self._commit.done():
                await self._settle(runner)

    async def _apply(self, runner: BatchRunner, messages: list[dict[str, Any]]) -> Applied | None:
        """Applies a batch; after a crashed command, settles the commit in flight, rebuilds, applies
        the batches still pending again, then this one without the command (module docstring).
        None if the database could not be read for it (the batch is answered "not committed")."""
        poisoned: set[int] = set()
        while True:
            started = time.perf_counter()
            try:
                result = await self._apply_thread(runner.apply, messages, frozenset(poisoned))
            except Exception:  # its look-ups failed (the database is down); the state is untouched
                log.exception("engine: reading the database for a batch of %d failed", len(messages))
                await self._apply_thread(_reconnect_later)
                await self._send_replies([(m, NOT_COMMITTED) for m in messages])
                return None
            if not isinstance(result, int):
                result.apply_seconds = time.perf_counter() - started
                return result
            poisoned.add(result)
            if self._commit is not None:
                await asyncio.wait({self._commit})
                await self._settle(runner)
            await self._rebuild_and_reapply(runner)

    async def _commit_head(self, runner: BatchRunner) -> float:
        started = time.perf_counter()
        await self._commit_thread(_commit_or_reconnect, runner, self._pending[0])
        return time.perf_counter() - started

    async def _settle(self, runner: BatchRunner) -> None:
        """The head batch's commit is done: answer it (and publish), or apply the failure rules."""
        assert self._commit is not None
        commit, self._commit = self._commit, None
        head = self._pending.popleft()
        try:
            seconds = commit.result()
        except FencedOut:
            later = [m for applied in self._pending for m in applied.messages]
            self._pending.clear()
            await self._send_replies([(m, NOT_COMMITTED) for m in [*head.messages, *later]])
            raise
        except Exception:
            log.exception("engine: commit of a batch of %d commands failed; rebuilding", len(head.messages))
            await self._send_replies([(m, NOT_COMMITTED) for m in head.messages])
            await self._rebuild_and_reapply(runner)
            return
        runner.committed(head)
        answers = list(zip(head.messages, head.replies, strict=True))
        self._spawn(self._send_replies(answers, instruments_version=head.instruments_version))
        if head.after_commit:
            self._publishing.put_nowait(head.after_commit)
        self.stats["batches"] += 1
        self.stats["commands"] += len(head.messages)
        log.debug("engine: batch of %d: apply %.2f ms, commit %.2f ms", len(head.messages),
                  head.apply_seconds * 1e3, seconds * 1e3)  # fmt: skip

    async def _rebuild_and_reapply(self, runner: BatchRunner) -> None:
        """A fresh state from the database (retried until the database answers again, e.g. while it
        restarts); then the batches nobody was answered for, applied again."""
        while True:
            try:
                await self._apply_thread(runner.rebuild)
                break
            except Exception:
                log.exception(
                    "engine: rebuilding from the database failed; retrying in %.0f s", REBUILD_RETRY_SECONDS
                )
                await self._apply_thread(_reconnect_later)
                await asyncio.sleep(REBUILD_RETRY_SECONDS)
        later = list(self._pending)
        self._pending.clear()
        for applied in later:
            again = await self._apply(runner, applied.messages)
            if again is not None:
                self._pending.append(again)

    # ------------------------------------------------------------------ replies and publishing

    async def _send_replies(
        self, answers: list[tuple[dict[str, Any], Any]], *, instruments_version: str | None = None
    ) -> None:
        """All replies of a batch in one round trip (the layer's batch extension)."""
        items = [
            (m["reply_to"], {"rid": m.get("rid"), "reply": reply, INSTRUMENTS_VERSION: instruments_version})
            for m, reply in answers
            if isinstance(m.get("reply_to"), str)
        ]
        if not items:
            return
        try:
            await self.layer.send_many(items)
        except Exception:
            log.warning("engine: could not send %d replies", len(items), exc_info=True)

    async def _publish_in_order(self) -> None:
        while True:
            steps = await self._publishing.get()
            for step in steps:
                try:
                    await step(self.layer)
                except Exception:
                    log.exception("engine: publishing a committed batch failed")
            self._publishing.task_done()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fail_waiting(self) -> None:
        failure = {"ok": False, "reason": "WORKER_INTERNAL", "msg": self.failed}
        waiting = self._take()
        while waiting:
            await self._send_replies([(m, failure) for m in waiting])
            waiting = self._take()


def _commit_or_reconnect(runner: BatchRunner, applied: Applied) -> None:
    try:
        runner.commit(applied)
    except Exception:
        _reconnect_later()
        raise


def _reconnect_later() -> None:
    """Drops this thread's database connection after a failure; the next use reconnects (e.g. after
    a database restart). Tests run inside one transaction: never drop their connection."""
    if not connection.in_atomic_block:
        try:
            connection.close()
        except Exception:  # already broken: it is dropped all the same
            log.debug("engine: closing a failed database connection raised", exc_info=True)


def _django_sync_thread(fn: Callable[..., T], *args: Any) -> "asyncio.Future[T]":
    return sync_to_async(fn, thread_sensitive=True)(*args)  # type: ignore[return-value]


def _own_thread(name: str) -> Callable[..., "asyncio.Future[Any]"]:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    def run(fn: Callable[..., T], *args: Any) -> "asyncio.Future[T]":
        return asyncio.get_running_loop().run_in_executor(executor, fn, *args)

    return run


class EngineWorker(Worker):
    """Channels' worker for the engine channel, taking commands in batches (the intake stage).

    It starts the runtime before any message (so a second worker exits at once and the first
    command finds the books ready), and keeps listening through channel-layer errors (a Redis
    restart), so the engine and its state outlive them.
    """

    async def handle(self) -> None:
        runtime = runtime_for_this_loop(self.channel_layer)
        await runtime.started.wait()
        if runtime.failed:
            await runtime.task  # raises SystemExit(1) in the scaled mode
        intake = asyncio.ensure_future(self._intake(runtime))
        await asyncio.wait([runtime.task, intake], return_when=asyncio.FIRST_COMPLETED)
        if intake.done():  # stopping: the runtime commits what was taken in, then exits
            intake.result()
        else:
            intake.cancel()
        await runtime.task

    async def _intake(self, runtime: EngineRuntime) -> None:
        while not runtime.stopping:
            try:
                messages = await self.channel_layer.receive_many(ENGINE_CHANNEL, runtime.max_batch)
            except Exception as exc:  # the layer is down: wait and listen again
                log.warning(
                    "engine: receiving commands failed (%r); retrying in %.0f s", exc, INTAKE_RETRY_SECONDS
                )
                await asyncio.sleep(INTAKE_RETRY_SECONDS)
                continue
            await runtime.submit_many(messages)
