"""One batch of commands against the worker's state: look up, apply in memory, freeze, commit.

`BatchRunner.apply` runs in the worker's apply thread: it reads what the batch needs from the
database (client order ids and operation ids used before, unknown users), runs every command
through the handlers (risk -> match -> settle, in memory), lets the hooks (market data) see the
batch, and freezes everything into `Rows`, so that `BatchRunner.commit` can write them in the
commit thread while the next batch is already being applied. Only a committed batch is answered
(engine.worker.pipeline).

A command that raises (a bug, never a bad input: those are refusals) leaves the in-memory state
untrustworthy: `apply` reports its index, and the pipeline rebuilds the state from the database
(`rebuild`) and applies the batch again without it; that command alone is answered WORKER_INTERNAL.

Until a batch commits, what it did is only in memory, and the database cannot answer for it: a
retry of one of its client order ids or operation ids must still be recognised from memory. The
state keeps those (`uncommitted_*`) until the pipeline reports the batch committed
(`committed`), and drops them at the start of the next `apply` (in the apply thread).
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import LedgerEntry
from engine.client.protocol import OP_PLACE, OP_TEST_PLACE, Reply
from engine.worker import handlers
from engine.worker.commands import CommandRefused
from engine.worker.hooks import BatchHook, hooks_load, hooks_run
from engine.worker.persistence import (
    BALANCES,
    LEDGER,
    ORDER_LISTS,
    ORDERS,
    POSITIONS,
    SYMBOLS,
    TRADES,
    WITHDRAWALS,
    Rows,
    batch_write,
)
from engine.worker.records import Batch
from engine.worker.recovery import state_load
from engine.worker.state import Lookups, WorkerState
from engine.worker.timers import CANCEL_TIMERS
from engine.worker.withdrawals import withdrawals_closed, withdrawals_forget, withdrawals_lookup
from trading.models import Order

log = logging.getLogger("quantx.engine")
_ORDER_TABLE = Order._meta.db_table

INTERNAL_FAILURE: Reply = {
    "ok": False,
    "reason": "WORKER_INTERNAL",
    "msg": "The engine failed on this command.",
}
NOT_COMMITTED: Reply = {
    "ok": False,
    "reason": "WORKER_INTERNAL",
    "msg": "The command was not committed; retry.",
}


@dataclass
class Applied:
    """A batch applied in memory, waiting for its commit."""

    messages: list[dict[str, Any]]
    replies: list[Reply]  # one per message
    rows: Rows
    instruments_version: str
    after_commit: list[Any] = field(default_factory=list)
    closed: list[tuple[tuple[int, str], int]] = field(default_factory=list)  # client ids of orders it closed
    operations: list[tuple[int, str, str]] = field(default_factory=list)
    withdrawals_closed: list[int] = field(default_factory=list)
    apply_seconds: float = 0.0


class BatchRunner:
    """The worker's state with its hooks, and the three things done to it."""

    def __init__(self, state: WorkerState, *, epoch: int) -> None:
        self.epoch = epoch
        self.state = state
        self.hooks: list[BatchHook] = hooks_load(state)
        self._committed: list[Applied] = []  # appended by the pipeline, drained by `apply`

    # ------------------------------------------------------------------ apply thread

    def apply(self, messages: list[dict[str, Any]], poisoned: frozenset[int] = frozenset()) -> Applied | int:
        """The batch applied in memory, or the index of the command that raised."""
        self._forget_committed()
        state = self.state
        state.batch = batch = Batch(now=timezone.now())
        commands = [m.get("command") if isinstance(m.get("command"), dict) else {} for m in messages]
        state.lookups = self._lookup(commands)
        replies: list[Reply] = []
        for i, command in enumerate(commands):
            if i in poisoned:
                replies.append(INTERNAL_FAILURE)
                continue
            try:
                reply = handlers.dispatch(state, command)
            except CommandRefused as refusal:
                reply = refusal.reply()
            except Exception:
                log.exception("engine: command failed: %r", command)
                return i
            replies.append(reply)
        applied = Applied(messages, replies, self._freeze(batch), state.instruments_version)
        for output in hooks_run(self.hooks, state, batch):
            for table, rows in output.rows:
                applied.rows.add(table, rows)
            if output.after_commit is not None:
                applied.after_commit.append(output.after_commit)
        for order_id, record in batch.orders.items():
            if order_id not in state.orders:  # closed in this batch
                state.uncommitted_closed[order_id] = record
                applied.closed.append(((record.user_id, record.client_order_id), order_id))
        applied.withdrawals_closed = withdrawals_closed(state)
        for entry in batch.ledger:
            if entry.operation_id:
                operation = (entry.user_id, entry.asset_code, entry.operation_id)
                state.uncommitted_operations[operation] = entry
                applied.operations.append(operation)
        return applied

    def rebuild(self) -> None:
        """A fresh state (and hooks) from the database, after a failed commit or a crashed command."""
        self.state = state_load()
        self.hooks = hooks_load(self.state)
        self._committed.clear()

    def committed(self, applied: Applied) -> None:
        """Called by the pipeline (any thread) once `applied` is committed."""
        self._committed.append(applied)

    def _forget_committed(self) -> None:
        state = self.state
        while self._committed:
            applied = self._committed.pop(0)
            for key, order_id in applied.closed:
                state.uncommitted_closed.pop(order_id, None)
                if state.client_ids.get(key) == order_id:
                    del state.client_ids[key]  # the database answers for it now
            for op_key in applied.operations:
                state.uncommitted_operations.pop(op_key, None)
            withdrawals_forget(state, applied.withdrawals_closed)

    def _lookup(self, commands: list[dict[str, Any]]) -> Lookups:
        state = self.state
        coids = {
            (c.get("user_id"), c.get("client_order_id"))
            for c in commands
            if c.get("op") in (OP_PLACE, OP_TEST_PLACE) and not c.get("client_order_id_generated")
        }
        coids = {
            k for k in coids if isinstance(k[0], int) and isinstance(k[1], str) and k not in state.client_ids
        }
        known: dict[tuple[int, str], Order] = {}
        if coids:
            # A cheap existence check in one statement; whole rows only for the (rare) ids used before.
            hits = _client_ids_used(coids)
            if hits:
                rows = Order.objects.filter(
                    user_id__in={u for u, _ in hits}, client_order_id__in={c for _, c in hits}
                ).select_related("instrument")
                known = {
                    (o.user_id, o.client_order_id): o for o in rows if (o.user_id, o.client_order_id) in hits
                }
        ops = {c.get("operation_id") for c in commands if c.get("op") in ("deposit", "adjust")}
        ops = {op for op in ops if isinstance(op, str)}
        operations = {}
        if ops:
            entries = LedgerEntry.objects.filter(operation_id__in=ops).select_related("asset")
            operations = {(e.user_id, e.asset.code, e.operation_id): e for e in entries}
        users = {u for u in (c.get("user_id") for c in commands) if isinstance(u, int)} - state.user_ids
        if users:
            state.user_ids |= set(get_user_model().objects.filter(pk__in=users).values_list("pk", flat=True))
        return Lookups(known, operations, withdrawals_lookup(state, commands))

    def _freeze(self, batch: Batch) -> Rows:
        """Everything the batch writes, as values (the records and the core keep changing)."""
        state, now = self.state, batch.now
        rows = Rows(statuses=dict(batch.statuses))
        rows.add(ORDER_LISTS, [r.row() for r in batch.lists.values()])
        rows.add(ORDERS, [r.row() for oid, r in batch.orders.items() if oid in batch.new_order_ids])
        rows.add(TRADES, [t.row() for t in batch.trades])
        rows.add(WITHDRAWALS, [w.row() for w in batch.withdrawals.values()])
        rows.add(LEDGER, [e.row(now) for e in batch.ledger])
        rows.add(BALANCES, [
            (user_id, state.assets[asset], *state.ex.balance(user_id, asset), now)
            for user_id, asset in sorted(batch.balances)
        ])  # fmt: skip
        rows.add(POSITIONS, [
            (user_id, instrument_id, p.qty, p.avg_price, p.realized_pnl, now)
            for (user_id, instrument_id) in sorted(batch.positions)
            for p in (state.positions[(user_id, instrument_id)],)
        ])  # fmt: skip
        touched = batch.symbols | {
            e.symbol for e in batch.events if getattr(e, "seq", 0) and hasattr(e, "symbol")
        }
        symbols = []
        for symbol in sorted(touched):
            market = state.markets[symbol]
            last = state.ex.last_price(symbol)
            price = None if last is None else market.spec.ticks_to_price(last)
            symbols.append((market.id, state.ex.seq(symbol), price, now))
        rows.add(SYMBOLS, symbols)
        rows.add(CANCEL_TIMERS, state.timers.rows(now))
        rows.order_updates = [
            r.update_row() for oid, r in batch.orders.items() if oid not in batch.new_order_ids
        ]
        return rows

    # ------------------------------------------------------------------ commit thread

    def commit(self, applied: Applied) -> None:
        """Writes a frozen batch in one transaction; raises if it did not commit."""
        with transaction.atomic():
            batch_write(applied.rows, epoch=self.epoch)


def _client_ids_used(keys: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (user id, client order id) pairs have an order in the database."""
    pairs = ", ".join(["(%s, %s)"] * len(keys))
    sql = f"SELECT user_id, client_order_id FROM {_ORDER_TABLE} WHERE (user_id, client_order_id) IN ({pairs})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [v for key in keys for v in key])
        return {(row[0], row[1]) for row in cursor.fetchall()}
