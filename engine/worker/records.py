"""The worker's in-memory mirror of the rows it writes, and their reply shapes."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from accounts.money import plain_decimal
from engine.core import InstrumentSpec
from engine.worker.withdrawal_records import WithdrawalRecord
from trading.models import Order


@dataclass(slots=True)
class Market:
    """What the worker needs of an instrument."""

    id: int
    symbol: str
    spec: InstrumentSpec
    status: str
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal

    @property
    def base(self) -> str:
        return self.spec.base or ""

    @property
    def quote(self) -> str:
        return self.spec.quote or ""


@dataclass(slots=True)
class OrderRecord:
    """An order as the worker knows it; becomes an `Order` row."""

    id: int
    user_id: int
    instrument_id: int
    symbol: str
    client_order_id: str
    side: str
    type: str
    tif: str
    stp: str
    price: Decimal | None
    stop_price: Decimal | None
    qty: Decimal | None
    quote_qty: Decimal | None
    remaining: Decimal
    filled: Decimal
    quote_filled: Decimal
    status: str
    reason: str
    seq: int
    triggered: bool
    created_at: datetime | None  # None after recovery until a reply needs it (see `times`)
    updated_at: datetime | None
    order_list_id: int | None = None
    trailing_delta: int | None = None
    trail_peak: Decimal | None = None
    trigger_price: Decimal | None = None  # a trailing stop's current trigger price (or where it triggered)
    triggered_at: datetime | None = None

    @classmethod
    def from_model(cls, o: Order, symbol: str) -> "OrderRecord":
        return cls(
            o.id, o.user_id, o.instrument_id, symbol, o.client_order_id, o.side, o.type, o.tif, o.stp, o.price,
            o.stop_price, o.qty, o.quote_qty, o.remaining, o.filled, o.quote_filled, o.status, o.reason, o.seq,
            o.triggered, o.created_at, o.updated_at, o.order_list_id, o.trailing_delta, o.trail_peak,
            o.trigger_price, o.triggered_at,
        )  # fmt: skip

    def to_model(self) -> Order:
        return Order(
            id=self.id, user_id=self.user_id, instrument_id=self.instrument_id, client_order_id=self.client_order_id,
            side=self.side, type=self.type, tif=self.tif, stp=self.stp, price=self.price, stop_price=self.stop_price,
            qty=self.qty, quote_qty=self.quote_qty, remaining=self.remaining, filled=self.filled,
            quote_filled=self.quote_filled, status=self.status, reason=self.reason, seq=self.seq,
            triggered=self.triggered, created_at=self.created_at, updated_at=self.updated_at,
            order_list_id=self.order_list_id, trailing_delta=self.trailing_delta, trail_peak=self.trail_peak,
            trigger_price=self.trigger_price, triggered_at=self.triggered_at,
        )  # fmt: skip

    def row(self) -> tuple[Any, ...]:
        """The order as a row of engine.worker.persistence.ORDERS (a snapshot: records change)."""
        return (
            self.id, self.user_id, self.instrument_id, self.client_order_id, self.side, self.type, self.tif,
            self.stp, self.price, self.stop_price, self.qty, self.quote_qty, self.remaining, self.filled,
            self.quote_filled, self.status, self.reason, self.seq, self.triggered, self.created_at,
            self.updated_at, self.order_list_id, self.trailing_delta, self.trail_peak, self.trigger_price,
            self.triggered_at,
        )  # fmt: skip

    def update_row(self) -> tuple[Any, ...]:
        """(id, *ORDER_UPDATE_COLUMNS) of engine.worker.persistence."""
        return (self.id, self.remaining, self.filled, self.quote_filled, self.status, self.reason, self.seq,
                self.triggered, self.updated_at, self.trail_peak, self.trigger_price, self.triggered_at)  # fmt: skip

    def as_reply(self, fills: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        if self.created_at is None:  # recovered without its times (engine/worker/recovery.py)
            self.created_at = Order.objects.values_list("created_at", flat=True).get(pk=self.id)
        if self.updated_at is None:
            self.updated_at = self.created_at
        return order_reply(self, fills or [])


def order_reply(
    o: "OrderRecord | Order", fills: list[dict[str, Any]], symbol: str | None = None
) -> dict[str, Any]:
    """The ORDER dict of docs/engine-worker.md, from a record or a model row."""
    return {
        "id": o.id,
        "client_order_id": o.client_order_id,
        "symbol": symbol or getattr(o, "symbol", None),
        "side": o.side,
        "type": o.type,
        "tif": o.tif,
        "stp": o.stp,
        "price": plain_decimal(o.price),
        "stop_price": plain_decimal(o.stop_price),
        "qty": plain_decimal(o.qty),
        "quote_qty": plain_decimal(o.quote_qty),
        "remaining": plain_decimal(o.remaining),
        "filled": plain_decimal(o.filled),
        "quote_filled": plain_decimal(o.quote_filled),
        "status": o.status,
        "reason": o.reason,
        "created_at": o.created_at.isoformat(),
        "updated_at": o.updated_at.isoformat(),
        "order_list_id": o.order_list_id,
        "trailing_delta": o.trailing_delta,
        "trigger_price": plain_decimal(o.trigger_price),
        "triggered": o.triggered,
        "triggered_at": o.triggered_at.isoformat() if o.triggered_at is not None else None,
        "fills": fills,
    }


@dataclass(slots=True)
class TradeRecord:
    """A trade as the worker writes it (the columns of `Trade`)."""

    id: int
    instrument_id: int
    seq: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    taker_side: str
    taker_order_id: int
    maker_order_id: int
    taker_id: int
    maker_id: int
    taker_fee: Decimal
    maker_fee: Decimal
    created_at: datetime

    def row(self) -> tuple[Any, ...]:
        return (self.id, self.instrument_id, self.seq, self.price, self.qty, self.quote_qty, self.taker_side,
                self.taker_order_id, self.maker_order_id, self.taker_id, self.maker_id, self.taker_fee,
                self.maker_fee, self.created_at)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """A ledger entry as the worker writes it (the columns of `LedgerEntry`, plus the asset code)."""

    user_id: int
    asset_id: int
    asset_code: str
    delta_free: Decimal
    delta_locked: Decimal
    reason: str
    order_id: int | None
    trade_id: int | None
    operation_id: str
    note: str
    created_by_id: int | None
    withdrawal_id: int | None = None

    def row(self, now: datetime) -> tuple[Any, ...]:
        return (self.user_id, self.asset_id, self.delta_free, self.delta_locked, self.reason, self.order_id,
                self.trade_id, self.operation_id, self.note, self.created_by_id, now,
                self.withdrawal_id)  # fmt: skip


def fill_reply(trade: TradeRecord, *, liquidity: str, fee: Decimal, fee_asset: str) -> dict[str, Any]:
    return {
        "trade_id": trade.id,
        "price": plain_decimal(trade.price),
        "qty": plain_decimal(trade.qty),
        "quote_qty": plain_decimal(trade.quote_qty),
        "fee": plain_decimal(fee),
        "fee_asset": fee_asset,
        "liquidity": liquidity,
        "time": trade.created_at.isoformat(),
    }


@dataclass
class Batch:
    """Everything one batch of commands caused, to be written in one transaction."""

    now: datetime
    orders: dict[int, OrderRecord] = field(default_factory=dict)  # touched, final state
    new_order_ids: set[int] = field(default_factory=set)
    trades: list[TradeRecord] = field(default_factory=list)
    ledger: list[LedgerRecord] = field(default_factory=list)
    balances: set[tuple[int, str]] = field(default_factory=set)
    positions: set[tuple[int, int]] = field(default_factory=set)
    symbols: set[str] = field(default_factory=set)
    statuses: dict[str, str] = field(default_factory=dict)
    lists: dict[int, "ListRecord"] = field(default_factory=dict)  # OCO lists placed or changed
    events: list[Any] = field(default_factory=list)  # the core events, in order, for market data
    withdrawals: dict[int, WithdrawalRecord] = field(default_factory=dict)  # touched, final state


@dataclass(slots=True)
class ListRecord:
    """An OCO order list as the worker knows it; becomes an `OrderList` row (engine.worker.oco)."""

    id: int
    user_id: int
    instrument_id: int
    symbol: str
    client_list_id: str
    status: str
    leg_ids: tuple[int, int]  # (LIMIT_MAKER, STOP_LOSS_LIMIT)
    created_at: datetime | None
    updated_at: datetime | None

    def row(self) -> tuple[Any, ...]:
        """The list as a row of engine.worker.persistence.ORDER_LISTS (an upsert)."""
        return (self.id, self.user_id, self.instrument_id, self.client_list_id, self.status, self.created_at,
                self.updated_at)  # fmt: skip
