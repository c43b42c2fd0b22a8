"""The engine worker's state, and how one batch of commands runs against it.

`EngineState.process_batch` is the whole write path of the exchange: look up what the batch needs
from the database (known client order ids, operation ids, users), run every command through the
core (risk -> match -> settle, in memory), then write everything the batch caused in ONE
transaction (`engine.persistence`). Only a committed batch is replied to.

If a command raises (a bug, never a bad input: those are refusals), the in-memory state can no
longer be trusted: the state is rebuilt from the database and the batch re-run without that
command, which alone is answered WORKER_INTERNAL. If the commit fails, the state is rebuilt and
the whole batch is answered WORKER_INTERNAL (nothing was written; callers may retry).
"""

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Asset, LedgerEntry
from accounts.money import from_atoms, to_atoms
from engine import handlers
from engine.commands import CommandRefused
from engine.core import Exchange
from engine.lock import engine_lock_acquire
from engine.persistence import batch_persist
from engine.positions import PositionState
from engine.protocol import Reply
from engine.records import Batch, Market, OrderRecord, order_reply
from marketdata.publisher import market_publish
from trading.models import Order

log = logging.getLogger("quantx.engine")

Publish = Callable[[Any], Coroutine[Any, Any, None]]


@dataclass
class BatchOutcome:
    replies: list[tuple[str | None, Reply]]
    publish: Publish | None


@dataclass
class Lookups:
    """What the batch needs from the database, fetched once before it runs."""

    known_orders: dict[tuple[int, str], Order]
    operations: dict[tuple[int, str, str], LedgerEntry]
    user_ids: set[int]


class EngineState:
    """Books, balances, open-order records and positions of one engine worker."""

    def __init__(
        self,
        *,
        exchange: Exchange,
        markets: dict[str, Market],
        assets: dict[str, int],
        orders: dict[int, OrderRecord],
        positions: dict[tuple[int, int], PositionState],
        next_order_id: int,
        next_trade_id: int,
        fee_user_id: int,
    ) -> None:
        self.ex = exchange
        self.markets = markets
        self.markets_by_id = {m.id: m for m in markets.values()}
        self.assets = assets
        self.orders = orders  # open orders and waiting stops
        self.client_ids = {(o.user_id, o.client_order_id): o.id for o in orders.values()}
        self.positions = positions
        self.next_order_id = next_order_id
        self.next_trade_id = next_trade_id
        self.fee_user_id = fee_user_id
        self.user_ids: set[int] = {fee_user_id}
        # per batch:
        self.batch: Batch = Batch(now=timezone.now())
        self.lookups = Lookups({}, {}, set())

    # ------------------------------------------------------------------ the batch

    def process_batch(self, messages: list[dict[str, Any]]) -> BatchOutcome:
        """Runs, commits and answers one batch (see the module docstring)."""
        state: EngineState = self
        poisoned: set[int] = set()
        while True:
            replies, failed_at = state._run(messages, poisoned)
            if failed_at is None:
                break
            poisoned.add(failed_at)
            state = state._rebuilt()
        try:
            with transaction.atomic():
                batch_persist(state)
                # Built inside the transaction: the per-user stream counters it saves commit with the batch.
                publish = market_publish(state, state.batch)
        except Exception:
            log.exception(
                "engine: commit of a batch of %d commands failed; rebuilding from the database", len(messages)
            )
            if not connection.in_atomic_block:  # (tests run inside one; never drop their connection)
                connection.close()  # the next batch reconnects, e.g. after a database restart
            state._rebuilt()
            failure = {
                "ok": False,
                "reason": "WORKER_INTERNAL",
                "msg": "The command was not committed; retry.",
            }
            return BatchOutcome([(m.get("reply_to"), failure) for m in messages], None)
        state._forget_closed_client_ids()
        return BatchOutcome(replies, publish)

    def _run(
        self, messages: list[dict[str, Any]], poisoned: set[int]
    ) -> tuple[list[tuple[str | None, Reply]], int | None]:
        self.batch = Batch(now=timezone.now())
        commands = [m.get("command") if isinstance(m.get("command"), dict) else {} for m in messages]
        self.lookups = self._lookup(commands)
        replies: list[tuple[str | None, Reply]] = []
        for i, (message, command) in enumerate(zip(messages, commands, strict=True)):
            if i in poisoned:
                reply: Reply = {
                    "ok": False,
                    "reason": "WORKER_INTERNAL",
                    "msg": "The engine failed on this command.",
                }
            else:
                try:
                    reply = handlers.dispatch(self, command)
                except CommandRefused as refusal:
                    reply = refusal.reply()
                except Exception:
                    log.exception("engine: command failed: %r", command)
                    return [], i
            replies.append((message.get("reply_to"), reply))
        return replies, None

    def _forget_closed_client_ids(self) -> None:
        """`client_ids` maps the client order ids of OPEN orders only (bounded memory); a retry of a
        closed order's id is found in the database by the next batch's lookup."""
        for order_id, record in self.batch.orders.items():
            if order_id not in self.orders:
                self.client_ids.pop((record.user_id, record.client_order_id), None)

    def _rebuilt(self) -> "EngineState":
        from engine.recovery import state_load

        fresh = state_load()
        self.__dict__.update(fresh.__dict__)
        return self

    def _lookup(self, commands: list[dict[str, Any]]) -> Lookups:
        coids = {(c.get("user_id"), c.get("client_order_id")) for c in commands if c.get("op") == "place"}
        coids = {
            k for k in coids if isinstance(k[0], int) and isinstance(k[1], str) and k not in self.client_ids
        }
        known: dict[tuple[int, str], Order] = {}
        if coids:
            # Cheap existence check first; whole rows only for the (rare) ids used before.
            hits = (
                set(
                    Order.objects.filter(
                        user_id__in={u for u, _ in coids}, client_order_id__in={c for _, c in coids}
                    ).values_list("user_id", "client_order_id")
                )
                & coids
            )
            for user_id, client_order_id in hits:
                row = Order.objects.select_related("instrument").get(
                    user_id=user_id, client_order_id=client_order_id
                )
                known[(user_id, client_order_id)] = row
        ops = {c.get("operation_id") for c in commands if c.get("op") in ("deposit", "withdraw", "adjust")}
        operations: dict[tuple[int, str, str], LedgerEntry] = {}
        if ops - {None}:
            entries = LedgerEntry.objects.filter(operation_id__in=ops - {None}).select_related("asset")
            operations = {(e.user_id, e.asset.code, e.operation_id): e for e in entries}
        users = {c.get("user_id") for c in commands} - self.user_ids
        users = {u for u in users if isinstance(u, int)}
        if users:
            self.user_ids |= set(get_user_model().objects.filter(pk__in=users).values_list("pk", flat=True))
        return Lookups(known, operations, self.user_ids)

    # ------------------------------------------------------------------ helpers for handlers

    def market(self, symbol: Any) -> Market:
        market = self.markets.get(symbol) if isinstance(symbol, str) else None
        if market is None:
            raise CommandRefused("WORKER_UNKNOWN_SYMBOL", f"unknown symbol {symbol!r}")
        return market

    def require_user(self, user_id: int) -> None:
        if user_id not in self.lookups.user_ids:
            raise CommandRefused("WORKER_UNKNOWN_USER", f"no user {user_id}")

    def order_reply_for(self, key: tuple[int, str]) -> Reply | None:
        """The reply for a client order id used before (in memory, this batch, or the database)."""
        order_id = self.client_ids.get(key)
        if order_id is not None:
            record = self.batch.orders.get(order_id) or self.orders.get(order_id)
            if record is not None:
                return {"ok": True, "order": record.as_reply(), "duplicate": True}
        row = self.lookups.known_orders.get(key)
        if row is not None:
            return {"ok": True, "order": order_reply(row, [], row.instrument.symbol), "duplicate": True}
        return None

    def assets_refresh(self) -> None:
        self.assets = dict(Asset.objects.values_list("code", "id"))

    def balance(self, user_id: int, asset: str) -> tuple[Decimal, Decimal]:
        free, locked = self.ex.balance(user_id, asset)
        return from_atoms(free), from_atoms(locked)

    def atoms(self, amount: Decimal) -> int:
        return to_atoms(amount)


def engine_start() -> EngineState:
    """Takes the single-writer lock and rebuilds the state from the database."""
    from engine.recovery import state_load

    engine_lock_acquire()
    return state_load()
