"""What the engine says back: immutable events, in the order things happened.

Prices are integer ticks, quantities integer lots, balances integer atoms (see ``spec.py``).
``seq`` is the per-symbol market sequence: it goes up by exactly one on every market-visible event
(a trade, or an order event that changes the depth by itself), so a market-data consumer can detect
gaps. Order events that are not market-visible carry ``seq=0``.

The hot path builds events with the ``*_event`` factories below instead of the dataclass
constructor. A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, which
costs ~1 us per event; the factories fill a writable twin class with the identical slot layout and
then switch its ``__class__`` to the frozen class, ~4x faster. The result is a genuine, frozen
instance of the public class (equality, hashing and immutability are the dataclass's own).
"""

from dataclasses import dataclass
from typing import Any

from engine.core.enums import BalanceReason, OrderStatus, Reason, Side


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """An order's new state. Emitted each time its status, filled or remaining changes.

    ``filled``/``remaining`` are lots (for a MARKET order by ``quote_qty``: base lots filled, and 0
    remaining once it ends). Terminal statuses (FILLED, CANCELED, EXPIRED, REJECTED) always have
    ``remaining == 0``; what was neither filled nor remaining was canceled/expired/amended away.
    ``price`` is the order's limit price in ticks (None for MARKET). ``seq`` > 0 iff this event changed
    the depth at (side, price) by itself: the order entered the book, or left/shrank in it other than by
    a trade (cancel, amend, STP). A maker's fill event has seq 0: its ``TradeEvent`` carries the change.
    ``priority`` is the order's time priority (global, increasing); a triggered stop gets a new one when
    it enters the book. Persist it for ``restore_order``. A stop's triggering is its own event
    (``TriggerEvent``); a waiting trailing stop's moving trigger price too (``TrailEvent``).
    """

    order_id: int
    owner: int
    symbol: str
    side: Side
    price: int | None
    status: OrderStatus
    filled: int
    remaining: int
    reason: Reason | None
    seq: int
    priority: int


@dataclass(frozen=True, slots=True)
class TradeEvent:
    """A trade at the maker's price. ``seq`` is the symbol's market sequence of this trade."""

    symbol: str
    seq: int
    taker_id: int
    maker_id: int
    taker_owner: int
    maker_owner: int
    price: int
    qty: int
    taker_side: Side


@dataclass(frozen=True, slots=True)
class Refused:
    """A command that was not carried out; nothing changed (a refused ``place`` does not use its id).

    ``op`` is the command: place, place_oco (``order_id`` is its ``limit_id``), cancel, amend,
    cancel_all, deposit, adjust, withdrawal_hold, withdrawal_release, withdrawal_complete.
    """

    op: str
    order_id: int | None
    symbol: str | None
    reason: Reason
    owner: int | None = None


@dataclass(frozen=True, slots=True)
class BalanceEvent:
    """One balance change of (owner, asset), in atoms (1e-8); one ledger entry each.

    ``order_id`` is set for order-related reasons, ``trade_seq`` (the symbol's trade seq) for TRADE and
    FEE, ``ref`` for deposits and adjustments (the caller's reference), ``withdrawal_id`` for the
    entries of a withdrawal (its hold, its release, or its completion and fee).
    """

    owner: int
    asset: str
    delta_free: int
    delta_locked: int
    reason: BalanceReason
    order_id: int | None = None
    trade_seq: int | None = None
    ref: str | None = None
    withdrawal_id: int | None = None


@dataclass(frozen=True, slots=True)
class TriggerEvent:
    """A waiting stop triggered: it leaves the waiting list and will enter the book as its LIMIT order.

    Emitted after the pass whose trades reached ``trigger_price`` (the stop price, or a trailing stop's
    trigger price at that moment) and before the stop's own events. ``seq`` is the symbol's market
    sequence at that moment (the last trade of that pass): "when" it triggered. Not market-visible.
    """

    order_id: int
    owner: int
    symbol: str
    side: Side
    trigger_price: int
    seq: int


@dataclass(frozen=True, slots=True)
class TrailEvent:
    """A waiting trailing stop's reference price moved, and with it its trigger price (ticks).

    ``peak`` is the highest trade price since placement for a SELL, the lowest for a BUY (the last
    trade price at placement counts). Emitted at placement if the symbol has traded, then after each
    pass that moves ``peak`` without triggering the stop. Persist ``peak`` for ``restore_order``.
    """

    order_id: int
    owner: int
    symbol: str
    side: Side
    peak: int
    trigger_price: int


Event = OrderEvent | TradeEvent | Refused | BalanceEvent | TriggerEvent | TrailEvent


class _OrderEventW(OrderEvent):
    __slots__ = ()
    __setattr__ = object.__setattr__
    __delattr__ = object.__delattr__


class _TradeEventW(TradeEvent):
    __slots__ = ()
    __setattr__ = object.__setattr__
    __delattr__ = object.__delattr__


def order_event(
    order_id: int,
    owner: int,
    symbol: str,
    side: Side,
    price: int | None,
    status: OrderStatus,
    filled: int,
    remaining: int,
    reason: Reason | None,
    seq: int,
    priority: int,
    _new: Any = object.__new__,
    _w: type = _OrderEventW,
    _cls: type = OrderEvent,
) -> OrderEvent:
    """Same as ``OrderEvent(...)`` with positional arguments, faster (see module docstring)."""
    e: Any = _new(_w)
    e.order_id = order_id
    e.owner = owner
    e.symbol = symbol
    e.side = side
    e.price = price
    e.status = status
    e.filled = filled
    e.remaining = remaining
    e.reason = reason
    e.seq = seq
    e.priority = priority
    e.__class__ = _cls
    r: OrderEvent = e
    return r


def trade_event(
    symbol: str,
    seq: int,
    taker_id: int,
    maker_id: int,
    taker_owner: int,
    maker_owner: int,
    price: int,
    qty: int,
    taker_side: Side,
    _new: Any = object.__new__,
    _w: type = _TradeEventW,
    _cls: type = TradeEvent,
) -> TradeEvent:
    """Same as ``TradeEvent(...)`` with positional arguments, faster (see module docstring)."""
    e: Any = _new(_w)
    e.symbol = symbol
    e.seq = seq
    e.taker_id = taker_id
    e.maker_id = maker_id
    e.taker_owner = taker_owner
    e.maker_owner = maker_owner
    e.price = price
    e.qty = qty
    e.taker_side = taker_side
    e.__class__ = _cls
    r: TradeEvent = e
    return r
