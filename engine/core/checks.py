"""``validate()``: every structural invariant of the books, checked the slow, obvious way.

Run after every step in tests; cheap enough to run on a recovered engine in production.
"""

from typing import NoReturn

from engine.core.book import BookSide, OrderBook
from engine.core.enums import BUY, LIMIT_MAKER, SELL, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT
from engine.core.errors import InvariantError
from engine.core.filters import MAX_TRAILING_DELTA
from engine.core.order import Order
from engine.core.stops import condition_holds, triggers_low


def _fail(msg: str) -> NoReturn:
    raise InvariantError(msg)


def validate_engine(books: dict[str, OrderBook], index: dict[int, Order], oco: dict[int, int]) -> None:
    """Raise InvariantError unless: no book is crossed; every level's total and count equal its orders;
    levels are FIFO by priority; no empty level; no order with remaining <= 0; the id index and the
    levels/stops hold exactly the same orders; the cached best and sorted keys agree with the levels;
    every live OCO list is a resting LIMIT_MAKER and a waiting STOP_LOSS_LIMIT of one owner, symbol and
    side, with the same remaining and no fills, linked both ways.
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
    _validate_oco(books, index, oco)


def _validate_oco(books: dict[str, OrderBook], index: dict[int, Order], oco: dict[int, int]) -> None:
    for leg_id, other_id in oco.items():
        where = f"OCO leg {leg_id}"
        leg, other = index.get(leg_id), index.get(other_id)
        if leg is None or other is None or oco.get(other_id) != leg_id or leg_id == other_id:
            _fail(f"{where}: not linked both ways to an open order ({other_id})")
        if (leg.owner, leg.symbol, leg.side, leg.remaining) != (
            other.owner,
            other.symbol,
            other.side,
            other.remaining,
        ):
            _fail(f"{where}: owner/symbol/side/remaining differ from its other leg {other_id}")
        if leg.filled or leg.qty != other.qty:
            _fail(f"{where}: a live leg has fills or another qty than its other leg")
        stops = books[leg.symbol].stops.waiting
        if leg.type is LIMIT_MAKER:
            if leg_id in stops or other.type is not STOP_LOSS_LIMIT or other_id not in stops:
                _fail(f"{where}: not a resting LIMIT_MAKER with a waiting STOP_LOSS_LIMIT")
        elif leg.type is not STOP_LOSS_LIMIT or other.type is not LIMIT_MAKER:
            _fail(f"{where}: legs must be a LIMIT_MAKER and a STOP_LOSS_LIMIT")


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
            if (o.type is STOP_LOSS_LIMIT or o.type is TAKE_PROFIT_LIMIT) and not o.triggered:
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
        if o.triggered or o.filled != 0 or o.remaining <= 0 or o.remaining > o.qty:
            _fail(f"{where}: not a valid waiting stop")
        if o.symbol != book.symbol or o.prev is not None or o.next is not None:
            _fail(f"{where}: linked into a book or filed under the wrong symbol")
        if o.trail:
            if (o.type is not STOP_LOSS_LIMIT or o.stop_price is not None or not 1 <= o.trail <= MAX_TRAILING_DELTA
                    or stops.trailing.get(oid) is not o or (o.peak is not None and o.peak <= 0)):  # fmt: skip
                _fail(f"{where}: not a valid trailing stop")
            last = book.last_price
            if last is not None and (o.peak is None or (last > o.peak if triggers_low(o) else last < o.peak)):
                _fail(
                    f"{where}: peak {o.peak} is not the extreme of the trades since placement (last {last})"
                )
            if last is not None and condition_holds(o, last):
                _fail(f"{where}: trailing stop should have triggered at {last}")
            continue
        if o.stop_price is None or o.stop_price <= 0 or o.type not in (STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT):
            _fail(f"{where}: not a valid stop")
        (lows if triggers_low(o) else highs).add((o.stop_price, o.priority, oid))
    if set(stops.trailing) - set(stops.waiting):
        _fail(f"{book.symbol}: trailing stops that are not waiting")
    if (
        lows != set(stops.lows)
        or highs != set(stops.highs)
        or len(stops.lows) + len(stops.highs) + len(stops.trailing) != len(stops.waiting)
    ):
        _fail(f"{book.symbol}: stop trigger lists disagree with the waiting stops")
    return len(stops.waiting)
