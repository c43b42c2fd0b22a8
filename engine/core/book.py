"""The order book of one instrument: two sides of price levels, each level a FIFO queue.

A side keeps ``levels`` (price -> Level) and ``keys``, a SortedList of the level prices (negated for
bids, so index 0 is the best price on both sides), plus the best level cached. A level is an
intrusive doubly-linked list of ``Order`` objects (O(1) append, pop-front and unlink for cancels) with
its total and count. Empty levels are removed at once. These classes are the engine's private,
mutable state: never hand them out (``views.OrderView`` is the public snapshot). ``Order`` lives in
``order.py`` so that this module and ``stops.py`` both import it without importing each other.

Removed orders get their links cleared, so the structure holds no reference cycles once an order is
gone and CPython frees it by reference counting alone (the GC never has garbage to find here).
"""

from collections.abc import Iterator

from sortedcontainers import SortedList

from engine.core.enums import Side
from engine.core.order import Order
from engine.core.spec import InstrumentSpec
from engine.core.stops import StopBook


class Level:
    """One price level: orders in time priority (head first), their total remaining and count."""

    __slots__ = ("count", "head", "price", "tail", "total")

    def __init__(self, price: int) -> None:
        self.price = price
        self.total = 0
        self.count = 0
        self.head: Order | None = None
        self.tail: Order | None = None

    def append(self, o: Order) -> None:
        tail = self.tail
        if tail is None:
            self.head = o
        else:
            tail.next = o
            o.prev = tail
        self.tail = o
        self.total += o.remaining
        self.count += 1

    def insert_by_priority(self, o: Order) -> None:
        """Insert keeping priority order (recovery may restore orders in any order)."""
        after = self.tail
        while after is not None and after.priority > o.priority:
            after = after.prev
        if after is self.tail:
            self.append(o)
            return
        before = self.head if after is None else after.next
        assert before is not None
        o.prev, o.next = after, before
        before.prev = o
        if after is None:
            self.head = o
        else:
            after.next = o
        self.total += o.remaining
        self.count += 1

    def unlink(self, o: Order) -> None:
        """Take ``o`` out of the queue (any position); the caller fixes ``total`` and drops empty levels."""
        prev, nxt = o.prev, o.next
        if prev is None:
            self.head = nxt
        else:
            prev.next = nxt
        if nxt is None:
            self.tail = prev
        else:
            nxt.prev = prev
        o.prev = o.next = None
        self.count -= 1

    def orders(self) -> Iterator[Order]:
        o = self.head
        while o is not None:
            yield o
            o = o.next


class BookSide:
    """Bids or asks: levels by price, best first."""

    __slots__ = ("best", "is_bid", "keys", "levels")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.levels: dict[int, Level] = {}
        self.keys: SortedList = SortedList()  # prices; negated for bids so keys[0] is the best
        self.best: Level | None = None

    def add(self, o: Order) -> None:
        """Append ``o`` at the back of its price level, creating the level if needed."""
        price = o.price
        lvl = self.levels.get(price)
        if lvl is None:
            lvl = self.new_level(price)
        lvl.append(o)

    def new_level(self, price: int) -> Level:
        lvl = Level(price)
        self.levels[price] = lvl
        self.keys.add(-price if self.is_bid else price)
        best = self.best
        if best is None or (price > best.price if self.is_bid else price < best.price):
            self.best = lvl
        return lvl

    def remove(self, o: Order) -> None:
        """Take a resting order out (cancel, STP, amend to nothing); drops its level if emptied."""
        lvl = self.levels[o.price]
        lvl.unlink(o)
        lvl.total -= o.remaining
        if lvl.count == 0:
            self.drop_level(lvl)

    def drop_level(self, lvl: Level) -> None:
        """Remove an (empty) level and refresh the cached best."""
        price = lvl.price
        del self.levels[price]
        keys = self.keys
        keys.remove(-price if self.is_bid else price)
        if self.best is lvl:
            if keys:
                k = keys[0]
                self.best = self.levels[-k if self.is_bid else k]
            else:
                self.best = None

    def iter_levels(self) -> Iterator[Level]:
        """Levels best first."""
        levels, neg = self.levels, self.is_bid
        for k in self.keys:
            yield levels[-k if neg else k]

    def depth(self, n: int | None) -> list[tuple[int, int]]:
        """Up to ``n`` (all if None) levels best first, as (price ticks, total lots)."""
        out: list[tuple[int, int]] = []
        if n is not None and n <= 0:
            return out
        for lvl in self.iter_levels():
            out.append((lvl.price, lvl.total))
            if n is not None and len(out) >= n:
                break
        return out


class OrderBook:
    """Everything the engine holds for one symbol."""

    __slots__ = ("asks", "bids", "last_price", "seq", "spec", "stops", "symbol")

    def __init__(self, spec: InstrumentSpec) -> None:
        self.spec = spec
        self.symbol = spec.symbol
        self.bids = BookSide(is_bid=True)
        self.asks = BookSide(is_bid=False)
        self.stops = StopBook()
        self.seq = 0  # market sequence: last value used
        self.last_price: int | None = None  # last trade price, ticks

    def side(self, side: Side) -> BookSide:
        return self.bids if side is Side.BUY else self.asks


def take_out(book: OrderBook, index: dict[int, Order], o: Order) -> int:
    """Remove an open order or waiting stop from ``book`` and the id ``index``; returns the seq of its
    depth change (a new market seq), or 0 if it was a waiting stop (not in the depth)."""
    del index[o.order_id]
    if o.order_id in book.stops.waiting:
        book.stops.remove(o)
        return 0
    (book.bids if o.side is Side.BUY else book.asks).remove(o)
    book.seq += 1
    return book.seq
