"""Waiting stop orders of one symbol, fixed and trailing.

Trigger rule (replay-format doc): SELL stop-loss and BUY take-profit trigger when a trade prints at
or below their stop price ("low" stops); BUY stop-loss and SELL take-profit when a trade prints at or
above it ("high" stops). Every trade price of a taker's matching pass counts, not only the last
one: a pass's trade prices are monotonic, so its first and last trade price decide. Triggered
stops leave this book in placement (priority) order.

Trailing stops (STOP_LOSS_LIMIT with ``trail`` = delta in basis points, no stop price): a SELL keeps
``peak``, the highest trade price since it was placed (the last trade price at placement counts),
and triggers when a trade prints at or below ``peak * (10000 - delta) / 10000``; a BUY keeps the
lowest (``peak`` too) and triggers at or above ``peak * (10000 + delta) / 10000``. Prices are integer
ticks, so the exact condition is ``price * 10000 <= peak * (10000 - delta)`` (BUY: ``>=`` with +):
its trigger price in ticks is that bound rounded away from the market, down for a SELL and up for a
BUY, and "a trade at or through the trigger price" is then exactly the rational condition.

Trade prices count one by one, in order, each first moving the peak and then checked against the
trigger. Within one monotonic pass that is equivalent to: the peak when the pass's first price
prints, ``P = max(peak, first)`` (SELL; BUY: min), decides; the pass triggers the stop iff its
lowest price (BUY: highest) is at or through ``trigger(P)``; otherwise the peak ends at
``max(peak, first, last)``. (A rising pass can only trigger a SELL at its first price, since every
later price is a new peak or above the first; a falling pass cannot raise the peak after its first
price.) tests/engine/core/reference.py checks this against the price-by-price rule.
"""

from collections.abc import Iterator

from sortedcontainers import SortedList

from engine.core.enums import BUY, SELL, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT
from engine.core.events import Event, TrailEvent
from engine.core.order import Order

BPS = 10_000


def triggers_low(o: Order) -> bool:
    """True if ``o`` triggers on a trade at or below its trigger price, False if at or above."""
    return (o.side is SELL and o.type is STOP_LOSS_LIMIT) or (o.side is BUY and o.type is TAKE_PROFIT_LIMIT)


def trail_trigger(low: bool, trail: int, peak: int) -> int:
    """A trailing stop's trigger price in ticks for reference price ``peak`` (see module docstring)."""
    if low:
        return peak * (BPS - trail) // BPS
    return -(-peak * (BPS + trail) // BPS)


def trigger_price(o: Order) -> int | None:
    """The price a trade must reach to trigger ``o``: its stop price, or a trailing stop's current
    trigger price (None before the symbol's first trade)."""
    if not o.trail:
        return o.stop_price
    return None if o.peak is None else trail_trigger(triggers_low(o), o.trail, o.peak)


def condition_holds(o: Order, price: int) -> bool:
    """Would a trade at ``price`` trigger ``o`` (with its peak as it is)?"""
    trigger = trigger_price(o)
    if trigger is None:
        return False
    return price <= trigger if triggers_low(o) else price >= trigger


def would_trigger(o: Order, last: int | None) -> bool:
    """Placement check: does the stop's condition already hold at the last trade price?"""
    return last is not None and condition_holds(o, last)


def trail_event(o: Order, events: list[Event]) -> None:
    """Append a TrailEvent for a trailing stop with a peak (its current trigger price)."""
    if o.trail and o.peak is not None:
        events.append(TrailEvent(o.order_id, o.owner, o.symbol, o.side, o.peak,
                                 trail_trigger(triggers_low(o), o.trail, o.peak)))  # fmt: skip


class StopBook:
    """Waiting stops by id; fixed stops also in two sorted trigger lists of (stop price, priority,
    order id); trailing stops (whose trigger moves) in ``trailing``, checked one by one per pass."""

    __slots__ = ("highs", "lows", "trailing", "waiting")

    def __init__(self) -> None:
        self.waiting: dict[int, Order] = {}
        self.lows: SortedList = SortedList()
        self.highs: SortedList = SortedList()
        self.trailing: dict[int, Order] = {}

    def __len__(self) -> int:
        return len(self.waiting)

    def add(self, o: Order) -> None:
        self.waiting[o.order_id] = o
        if o.trail:
            self.trailing[o.order_id] = o
        else:
            (self.lows if triggers_low(o) else self.highs).add((o.stop_price, o.priority, o.order_id))

    def remove(self, o: Order) -> None:
        del self.waiting[o.order_id]
        if o.trail:
            del self.trailing[o.order_id]
        else:
            (self.lows if triggers_low(o) else self.highs).remove((o.stop_price, o.priority, o.order_id))

    def collect(self, first: int, last: int, events: list[Event]) -> list[Order]:
        """Remove and return, in priority order, the stops triggered by a pass whose trades printed
        from ``first`` to ``last`` (monotonic). Trailing stops it moved without triggering get their new
        peak and a ``TrailEvent`` each (in priority order), appended to ``events``."""
        low, high = (first, last) if first <= last else (last, first)
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
        if self.trailing:
            self._trail(first, low, high, keys, events)
        if not keys:
            return []
        keys.sort(key=lambda k: k[1])
        waiting = self.waiting
        return [waiting.pop(k[2]) for k in keys]

    def _trail(self, first: int, low: int, high: int, keys: list[tuple[int, int, int]],
               events: list[Event]) -> None:  # fmt: skip
        """Move and check every trailing stop for one pass (see module docstring); triggered ones go
        to ``keys`` (and leave ``trailing``), moved ones get a TrailEvent."""
        hit: list[int] = []
        moved: list[Order] = []
        for oid, o in self.trailing.items():
            peak = o.peak
            if triggers_low(o):
                p = first if peak is None or first > peak else peak
                if low <= trail_trigger(True, o.trail, p):
                    o.peak = p
                    hit.append(oid)
                elif peak is None or high > peak:
                    o.peak = high
                    moved.append(o)
            else:
                p = first if peak is None or first < peak else peak
                if high >= trail_trigger(False, o.trail, p):
                    o.peak = p
                    hit.append(oid)
                elif peak is None or low < peak:
                    o.peak = low
                    moved.append(o)
        for oid in hit:
            o = self.trailing.pop(oid)
            keys.append((0, o.priority, oid))
        moved.sort(key=lambda o: o.priority)
        for o in moved:
            trail_event(o, events)

    def in_priority_order(self) -> Iterator[Order]:
        return iter(sorted(self.waiting.values(), key=lambda o: o.priority))
