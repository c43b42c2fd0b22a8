"""The worker's batch hook for the private `withdrawals` stream (settings.ENGINE_BATCH_HOOKS).

For a batch that touched withdrawals it builds one frame per status change (a request is PENDING,
then COMPLETED, CANCELED or REJECTED; a withdrawal requested and decided in one batch gets both) and
sends them to every web process's hub after the commit, like market data's frames
(marketdata.publisher). Seqs are read from the database when a user is first seen
(marketdata.withdrawals.withdrawal_stream_seqs) and counted in memory from there: the hook sees
batches before they commit, and is built again with the state after a failure.
"""

from datetime import datetime
from typing import Any

from accounts.models import WithdrawalStatus
from engine.worker.hooks import HookOutput
from engine.worker.records import Batch
from engine.worker.state import WorkerState
from engine.worker.withdrawal_records import WithdrawalRecord
from marketdata.protocol import BATCH_MESSAGE_TYPE, EV_UPDATE, FANOUT_GROUP, WITHDRAWALS, private_key
from marketdata.publisher import Frame, _text
from marketdata.withdrawals import withdrawal_stream_seqs, withdrawal_wire


class WithdrawalStreamHook:
    """The worker's batch hook for the `withdrawals` stream (see the module docstring)."""

    def __init__(self, state: WorkerState) -> None:
        self.seqs: dict[int, int] = {}

    def on_batch(self, state: WorkerState, batch: Batch) -> HookOutput | None:
        if not batch.withdrawals:
            return None
        records = sorted(batch.withdrawals.values(), key=lambda w: w.id)
        self._load({w.user_id for w in records})
        frames: list[Frame] = []
        for w in records:
            changes = []
            if w.created_at == batch.now:  # requested in this batch
                changes.append(WithdrawalStatus.PENDING.value)
            if w.status != WithdrawalStatus.PENDING:
                changes.append(w.status)
            for status in changes:
                self.seqs[w.user_id] += 1
                frames.append(_frame(w, status, self.seqs[w.user_id], batch.now))
        message = {"type": BATCH_MESSAGE_TYPE, "frames": frames}

        async def publish(layer: Any) -> None:
            await layer.group_send(FANOUT_GROUP, message)

        return HookOutput(after_commit=publish)

    def _load(self, users: set[int]) -> None:
        missing = users - self.seqs.keys()
        if missing:
            counts = withdrawal_stream_seqs(missing)
            for user_id in missing:
                self.seqs[user_id] = counts[user_id]


def _frame(w: WithdrawalRecord, status: str, seq: int, now: datetime) -> Frame:
    data = withdrawal_wire(w, status=status, time=now if status != WithdrawalStatus.PENDING else w.created_at)
    frame = {"event": EV_UPDATE, "channel": WITHDRAWALS, "seq": seq, "prev_seq": seq - 1, "data": data}
    return [private_key(WITHDRAWALS, w.user_id), seq, _text(frame)]
