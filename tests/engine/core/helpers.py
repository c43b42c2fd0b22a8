"""Small helpers for the engine-core tests (no Django)."""

from decimal import Decimal
from typing import Any

from engine.core import (
    STP,
    InstrumentSpec,
    MatchingEngine,
    OrderEvent,
    OrderStatus,
    OrderType,
    Reason,
    Refused,
    Side,
    TimeInForce,
    TradeEvent,
    TrailEvent,
    TriggerEvent,
)

SYM = "BTC-USD"
SYM2 = "ETH-USD"
BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET, LIMIT_MAKER = OrderType.LIMIT, OrderType.MARKET, OrderType.LIMIT_MAKER
STOP_LOSS, TAKE_PROFIT = OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT
GTC, IOC, FOK = TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK
NEW, PARTIAL, FILLED = OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED
CANCELED, EXPIRED, REJECTED = OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED


def spec(symbol: str = SYM, tick: str = "0.01", lot: str = "0.001", **kw: Any) -> InstrumentSpec:
    return InstrumentSpec(symbol, Decimal(tick), Decimal(lot), **kw)


def engine(*symbols: str) -> MatchingEngine:
    eng = MatchingEngine()
    for s in symbols or (SYM,):
        eng.add_instrument(spec(s))
    return eng


class Book:
    """A test driver: short calls, ids handed out in order, every command followed by validate()."""

    def __init__(self, eng: MatchingEngine | None = None, symbol: str = SYM) -> None:
        self.eng = eng or engine(symbol)
        self.symbol = symbol
        self.next_id = 1

    def place(
        self, owner: int, side: Side, qty: int | None, price: int | None = None, **kw: Any
    ) -> list[Any]:
        kw.setdefault("type", LIMIT if price is not None else MARKET)
        oid = kw.pop("order_id", None) or self.next_id
        self.next_id = max(self.next_id, oid) + 1
        events = self.eng.place(oid, owner, self.symbol, side, kw.pop("type"), qty, price, **kw)
        self.eng.validate()
        return events

    def buy(self, owner: int, qty: int | None, price: int | None = None, **kw: Any) -> list[Any]:
        return self.place(owner, BUY, qty, price, **kw)

    def sell(self, owner: int, qty: int | None, price: int | None = None, **kw: Any) -> list[Any]:
        return self.place(owner, SELL, qty, price, **kw)

    def cancel(self, oid: int) -> list[Any]:
        events = self.eng.cancel(oid, self.symbol)
        self.eng.validate()
        return events

    def amend(self, oid: int, qty: int) -> list[Any]:
        events = self.eng.amend(oid, self.symbol, qty)
        self.eng.validate()
        return events

    def depth(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        self.eng.validate()
        return self.eng.depth(self.symbol)


def trades(events: list[Any]) -> list[tuple[int, int, int, int]]:
    """(taker id, maker id, price, qty) of each trade, in order."""
    return [(e.taker_id, e.maker_id, e.price, e.qty) for e in events if isinstance(e, TradeEvent)]


def statuses(events: list[Any]) -> list[tuple[int, OrderStatus, int, int, Reason | None]]:
    """(id, status, filled, remaining, reason) of each order event, in order."""
    return [
        (e.order_id, e.status, e.filled, e.remaining, e.reason) for e in events if isinstance(e, OrderEvent)
    ]


def final(events: list[Any], oid: int) -> OrderEvent:
    return [e for e in events if isinstance(e, OrderEvent) and e.order_id == oid][-1]


def refusal(events: list[Any]) -> Reason:
    assert len(events) == 1 and isinstance(events[0], Refused), events
    return events[0].reason


def as_tuple(e: Any) -> tuple[Any, ...]:
    """An event as a plain tuple, comparable with the reference model's events."""
    if isinstance(e, OrderEvent):
        return ("order", e.order_id, e.owner, e.symbol, str(e.side), e.price, str(e.status), e.filled, e.remaining,
                None if e.reason is None else str(e.reason), e.seq, e.priority)  # fmt: skip
    if isinstance(e, TradeEvent):
        return ("trade", e.symbol, e.seq, e.taker_id, e.maker_id, e.taker_owner, e.maker_owner, e.price, e.qty,
                str(e.taker_side))  # fmt: skip
    if isinstance(e, TriggerEvent):
        return ("triggered", e.order_id, e.owner, e.symbol, str(e.side), e.trigger_price, e.seq)
    if isinstance(e, TrailEvent):
        return ("trail", e.order_id, e.owner, e.symbol, str(e.side), e.peak, e.trigger_price)
    assert isinstance(e, Refused)
    return ("refused", e.op, e.order_id, e.symbol, str(e.reason), e.owner)


__all__ = ["STP", "Reason"]
