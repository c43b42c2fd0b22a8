"""Waiting stop orders of one symbol.

Trigger rule (replay-format doc): SELL stop-loss and BUY take-profit trigger when a trade prints at
or below their stop price ("low" stops); BUY stop-loss and SELL take-profit when a trade prints at or
above it ("high" stops). Every trade price of a taker's matching pass counts, not only the last
one: a pass's trade prices are monotonic, so its lowest and highest trade price decide. Triggered
stops leave this book in placement (priority) order.
"""

from collections.abc import Iterator

from sortedcontainers import SortedList

from engine.core.enums import BUY, SELL, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT
from engine.core.order import Order


def triggers_low(o: Order) -> bool:
    """True if ``o`` triggers on a trade at or below its stop price, False if at or above."""
    return (o.side is SELL and o.type is STOP_LOSS_LIMIT) or (o.side is BUY and o.type is TAKE_PROFIT_LIMIT)


def condition_holds(o: Order, price: int) -> bool:
    """Would a trade at ``price`` trigger ``o``?"""
    assert o.stop_price is not None
    return price <= o.stop_price if triggers_low(o) else price >= o.stop_price


class StopBook:
    """Waiting stops by id, plus two sorted trigger lists of (stop price, priority, order id)."""

    __slots__ = ("highs", "lows", "waiting")

    def __init__(self) -> None:
        self.waiting: dict[int, Order] = {}
        self.lows: SortedList = SortedList()
        self.highs: SortedList = SortedList()

    def __len__(self) -> int:
        return len(self.waiting)

    def add(self, o: Order) -> None:
        self.waiting[o.order_id] = o
        (self.lows if triggers_low(o) else self.highs).add((o.stop_price, o.priority, o.order_id))

    def remove(self, o: Order) -> None:
        del self.waiting[o.order_id]
        (self.lows if triggers_low(o) else self.highs).remove((o.stop_price, o.priority, o.order_id))

    def collect(self, low: int, high: int) -> list[Order]:
        """Remove and return, in priority order, the stops triggered by trades printing in [low, high]."""
        keys: list[tuple[int, int, int]] = []
        lows, highs = self.lows, self.highs
        if lows and lows[-1][0] >= low:
            i = lows.bisect_left((low,))
            keys.extend(lows[i:])
            del lows[i:]
        if highs and highs[0][0] <= high:
            i = highs.bisect_left((high + 1,))
            keys.extend(highs[:i])
            del highs[:i]
        if not keys:
            return []
        keys.sort(key=lambda k: k[1])
        waiting = self.waiting
        return [waiting.pop(k[2]) for k in keys]

    def in_priority_order(self) -> Iterator[Order]:
        return iter(sorted(self.waiting.values(), key=lambda o: o.priority))
