"""``Order``: one resting order or waiting stop, the engine's private mutable record of it.

Its own module so that ``book.py`` (levels) and ``stops.py`` (waiting stops) can both import it with
no import circle. Never handed out: ``views.OrderView`` is the public snapshot.
"""

from engine.core.enums import STP as STPMode
from engine.core.enums import OrderStatus, OrderType, Reason, Side, TimeInForce
from engine.core.events import OrderEvent, order_event


class Order:
    """A resting or waiting order. ``remaining`` > 0 while it is in the engine."""

    __slots__ = (
        "filled",
        "next",
        "order_id",
        "owner",
        "peak",
        "prev",
        "price",
        "priority",
        "qty",
        "remaining",
        "side",
        "stop_price",
        "stp",
        "symbol",
        "tif",
        "trail",
        "triggered",
        "type",
    )

    def __init__(
        self,
        order_id: int,
        owner: int,
        symbol: str,
        side: Side,
        type: OrderType,
        price: int,
        stop_price: int | None,
        qty: int,
        filled: int,
        remaining: int,
        tif: TimeInForce,
        stp: STPMode,
        priority: int,
        triggered: bool = False,
        trail: int = 0,
        peak: int | None = None,
    ) -> None:
        self.order_id = order_id
        self.owner = owner
        self.symbol = symbol
        self.side = side
        self.type = type
        self.price = price
        self.stop_price = stop_price
        self.qty = qty  # as placed; filled + remaining + (amended/canceled away) == qty
        self.filled = filled
        self.remaining = remaining
        self.tif = tif
        self.stp = stp
        self.priority = priority
        self.triggered = triggered  # a stop order that has entered the book
        self.trail = trail  # trailing stop: delta in basis points (0: not trailing)
        self.peak = peak  # trailing stop: highest (SELL) / lowest (BUY) trade price since placed
        self.prev: Order | None = None
        self.next: Order | None = None

    def __repr__(self) -> str:
        return (
            f"Order({self.order_id} {self.side} {self.remaining}@{self.price} owner={self.owner} "
            f"prio={self.priority})"
        )


def event_of(o: Order, status: OrderStatus, remaining: int, reason: Reason | None, seq: int) -> OrderEvent:
    """An OrderEvent for ``o`` as it is (filled, priority), with the given status and remaining."""
    return order_event(o.order_id, o.owner, o.symbol, o.side, o.price, status, o.filled, remaining, reason,
                       seq, o.priority)  # fmt: skip
