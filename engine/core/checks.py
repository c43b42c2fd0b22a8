"""``validate()``: every structural invariant of the books, checked the slow, obvious way.

Run after every step in tests; cheap enough to run on a recovered engine in production.
"""

from typing import NoReturn

from engine.core.book import BookSide, OrderBook
from engine.core.enums import BUY, SELL
from engine.core.errors import InvariantError
from engine.core.order import Order
from engine.core.stops import triggers_low


def _fail(msg: str) -> NoReturn:
    raise InvariantError(msg)


def validate_engine(books: dict[str, OrderBook], index: dict[int, Order]) -> None:
    """Raise InvariantError unless: no book is crossed; every level's total and count equal its orders;
    levels are FIFO by priority; no empty level; no order with remaining <= 0; the id index and the
    levels/stops hold exactly the same orders; the cached best and sorted keys agree with the levels.
    """
    seen = 0
    for symbol, book in books.items():
        if book.symbol != symbol or book.spec.symbol != symbol:
            _fail(f"{symbol}: book filed under the wrong symbol")
        seen += _validate_side(book, book.bids, index)
        seen += _validate_side(book, book.asks, index)
        bid, ask = book.bids.best, book.asks.best
        if bid is not None and ask is not None and bid.price >= ask.price:
            _fail(f"{symbol}: crossed book, bid {bid.price} >= ask {ask.price}")
        seen += _validate_stops(book, index)
        if book.seq < 0 or (book.last_price is not None and book.last_price <= 0):
            _fail(f"{symbol}: bad seq {book.seq} / last price {book.last_price}")
    if seen != len(index):
        _fail(f"index holds {len(index)} orders but books and stops hold {seen}")


def _validate_side(book: OrderBook, bside: BookSide, index: dict[int, Order]) -> int:
    symbol, neg = book.symbol, bside.is_bid
    side = BUY if bside.is_bid else SELL
    name = f"{symbol} {'bids' if neg else 'asks'}"
    keys = list(bside.keys)
    if keys != sorted(keys) or len(set(keys)) != len(keys):
        _fail(f"{name}: price keys not sorted/unique")
    if sorted(-k if neg else k for k in keys) != sorted(bside.levels):
        _fail(f"{name}: sorted keys and level dict disagree")
    if (bside.best is None) != (not keys):
        _fail(f"{name}: cached best level disagrees with emptiness")
    if keys:
        k0 = keys[0]
        if bside.best is not bside.levels[-k0 if neg else k0]:
            _fail(f"{name}: cached best level is not the best price")
    count = 0
    for price, lvl in bside.levels.items():
        if lvl.price != price:
            _fail(f"{name}: level {lvl.price} filed under {price}")
        if lvl.count <= 0 or lvl.head is None:
            _fail(f"{name}: empty level at {price}")
        n = total = 0
        prev: Order | None = None
        o: Order | None = lvl.head
        while o is not None:
            where = f"{name} level {price} order {o.order_id}"
            if o.prev is not prev:
                _fail(f"{where}: broken back link")
            if prev is not None and prev.priority >= o.priority:
                _fail(f"{where}: not FIFO (priority {o.priority} after {prev.priority})")
            if o.remaining <= 0 or o.filled < 0 or o.filled + o.remaining > o.qty:
                _fail(f"{where}: bad quantities filled={o.filled} remaining={o.remaining} qty={o.qty}")
            if o.price != price or o.side is not side or o.symbol != symbol:
                _fail(f"{where}: price/side/symbol do not match its level")
            if o.stop_price is not None and not o.triggered:
                _fail(f"{where}: a waiting stop is in the book")
            if index.get(o.order_id) is not o:
                _fail(f"{where}: missing from the id index")
            n += 1
            total += o.remaining
            prev, o = o, o.next
        if lvl.tail is not prev:
            _fail(f"{name} level {price}: tail is not the last order")
        if n != lvl.count or total != lvl.total:
            _fail(f"{name} level {price}: count/total {lvl.count}/{lvl.total} but orders say {n}/{total}")
        count += n
    return count


def _validate_stops(book: OrderBook, index: dict[int, Order]) -> int:
    stops = book.stops
    lows: set[tuple[int, int, int]] = set()
    highs: set[tuple[int, int, int]] = set()
    for oid, o in stops.waiting.items():
        where = f"{book.symbol} stop {oid}"
        if o.order_id != oid or index.get(oid) is not o:
            _fail(f"{where}: missing from the id index")
        if o.stop_price is None or o.triggered or o.filled != 0 or o.remaining <= 0 or o.remaining > o.qty:
            _fail(f"{where}: not a valid waiting stop")
        if o.symbol != book.symbol or o.prev is not None or o.next is not None:
            _fail(f"{where}: linked into a book or filed under the wrong symbol")
        (lows if triggers_low(o) else highs).add((o.stop_price, o.priority, oid))
    if (
        lows != set(stops.lows)
        or highs != set(stops.highs)
        or len(stops.lows) + len(stops.highs) != len(lows) + len(highs)
    ):
        _fail(f"{book.symbol}: stop trigger lists disagree with the waiting stops")
    return len(stops.waiting)
