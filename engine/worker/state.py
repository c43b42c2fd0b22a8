"""The engine worker's state: books, balances, open-order records and positions. Data only.

`WorkerState` is what recovery builds (engine.worker.recovery), handlers change
(engine.worker.handlers) and the batch runner freezes into rows (engine.worker.batch). It reads no
database and imports none of them: the bottom of the worker's layers.
"""

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from accounts.money import from_atoms, to_atoms
from engine.core import Exchange
from engine.worker.commands import CommandRefused
from engine.worker.positions import PositionState
from engine.worker.records import Batch, ListRecord, Market, OrderRecord, order_reply
from engine.worker.timers import TimerBook
from engine.worker.withdrawal_records import WithdrawalBook
from trading.models import Order


@dataclass
class Lookups:
    """What a batch needs from the database, fetched once before it runs (engine.worker.batch)."""

    known_orders: dict[tuple[int, str], Order] = field(default_factory=dict)
    operations: dict[tuple[int, str, str], Any] = field(default_factory=dict)  # LedgerEntry rows
    withdrawals: dict[tuple[int, str], Any] = field(default_factory=dict)  # Withdrawal rows by client id


@dataclass(eq=False)
class WorkerState:
    """Books, balances, open-order records and positions of one engine worker."""

    ex: Exchange
    markets: dict[str, Market]
    assets: dict[str, int]
    orders: dict[int, OrderRecord]  # open orders and waiting stops
    positions: dict[tuple[int, int], PositionState]
    next_order_id: int
    next_trade_id: int
    fee_user_id: int
    instruments_version: str = field(init=False)
    """A digest of every instrument as the engine trades it (`instruments_changed` recomputes it), so
    web processes can tell their cached copies are stale (engine.client.protocol)."""
    markets_by_id: dict[int, Market] = field(init=False)
    client_ids: dict[tuple[int, str], int] = field(init=False)
    """(user id, client order id) of OPEN orders only (bounded memory); a retry of a closed order's id
    is found in the database by the batch's lookup."""
    user_ids: set[int] = field(init=False)
    """Users known to exist (only grows: users are never deleted while they have orders)."""
    uncommitted_closed: dict[int, OrderRecord] = field(default_factory=dict, init=False)
    """Orders closed by batches not yet committed, which the database cannot answer for yet."""
    uncommitted_operations: dict[tuple[int, str, str], Any] = field(default_factory=dict, init=False)
    """(user id, asset, operation id) of ledger entries of batches not yet committed."""
    batch: Batch = field(init=False)
    lists: dict[int, ListRecord] = field(default_factory=dict, init=False)
    """Open OCO lists (EXECUTING) by id (engine.worker.oco)."""
    list_client_ids: dict[tuple[int, str], ListRecord] = field(default_factory=dict, init=False)
    """(user id, client list id) of every list this process placed or recovered (engine.worker.oco)."""
    next_list_id: int = field(default=1, init=False)
    lookups: Lookups = field(default_factory=Lookups, init=False)
    withdrawals: WithdrawalBook = field(default_factory=WithdrawalBook, init=False)
    """Pending withdrawals and their client ids (engine.worker.withdrawals; recovered at start)."""

    timers: TimerBook = field(default_factory=TimerBook, init=False)
    """The dead-man's switch: cancel-after deadlines and cancel-on-disconnect leases (engine.worker.timers)."""

    def __post_init__(self) -> None:
        self.markets_by_id = {m.id: m for m in self.markets.values()}
        self.client_ids = {(o.user_id, o.client_order_id): o.id for o in self.orders.values()}
        self.user_ids = {self.fee_user_id}
        self.instruments_changed()

    def instruments_changed(self) -> None:
        """Recomputes `instruments_version` after an instrument was added, edited or changed status."""
        text = repr(sorted((m.symbol, m.status, m.min_qty, m.max_qty, m.min_notional, repr(m.spec))
                           for m in self.markets.values()))  # fmt: skip
        self.instruments_version = hashlib.sha256(text.encode()).hexdigest()[:16]

    def market(self, symbol: Any) -> Market:
        market = self.markets.get(symbol) if isinstance(symbol, str) else None
        if market is None:
            raise CommandRefused("WORKER_UNKNOWN_SYMBOL", f"unknown symbol {symbol!r}")
        return market

    def require_user(self, user_id: int) -> None:
        if user_id not in self.user_ids:
            raise CommandRefused("WORKER_UNKNOWN_USER", f"no user {user_id}")

    def order_reply_for(self, key: tuple[int, str]) -> dict[str, Any] | None:
        """The reply for a client order id used before (in memory, this batch, or the database)."""
        order_id = self.client_ids.get(key)
        if order_id is not None:
            record = (
                self.batch.orders.get(order_id)
                or self.orders.get(order_id)
                or self.uncommitted_closed.get(order_id)
            )
            if record is not None:
                return {"ok": True, "order": record.as_reply(), "duplicate": True}
        row = self.lookups.known_orders.get(key)
        if row is not None:
            return {"ok": True, "order": order_reply(row, [], row.instrument.symbol), "duplicate": True}
        return None

    def balance(self, user_id: int, asset: str) -> tuple[Decimal, Decimal]:
        free, locked = self.ex.balance(user_id, asset)
        return from_atoms(free), from_atoms(locked)

    def atoms(self, amount: Decimal) -> int:
        return to_atoms(amount)
