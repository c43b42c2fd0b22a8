"""What other apps attach to the worker's batches (market data's publisher, through settings).

The worker imports no app that consumes its events: `settings.ENGINE_BATCH_HOOKS` names factories
(`state -> BatchHook`), built again whenever the state is (re)loaded. For each batch applied in
memory, a hook returns rows to write in the batch's own transaction and an `after_commit`
coroutine function that the pipeline runs, in batch order, after the commit and the replies,
never delaying either.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from engine.worker.persistence import Row, Table
from engine.worker.records import Batch
from engine.worker.state import WorkerState

log = logging.getLogger("quantx.engine")

AfterCommit = Callable[[Any], Awaitable[None]]
"""Awaited with the channel layer once the batch is committed."""


@dataclass
class HookOutput:
    rows: list[tuple[Table, list[Row]]] = field(default_factory=list)
    after_commit: AfterCommit | None = None


class BatchHook(Protocol):
    def on_batch(self, state: WorkerState, batch: Batch) -> HookOutput | None: ...


def hooks_load(state: WorkerState) -> list[BatchHook]:
    return [import_string(path)(state) for path in settings.ENGINE_BATCH_HOOKS]


def hooks_run(hooks: list[BatchHook], state: WorkerState, batch: Batch) -> list[HookOutput]:
    """Each hook's output for a batch; a hook that fails is logged and contributes nothing (its
    clients see a gap in their sequence numbers and resynchronise)."""
    outputs = []
    for hook in hooks:
        try:
            output = hook.on_batch(state, batch)
        except Exception:
            log.exception("engine: batch hook %r failed; its output for this batch is dropped", hook)
            continue
        if output is not None:
            outputs.append(output)
    return outputs
