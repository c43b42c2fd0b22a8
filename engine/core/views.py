"""Read views, state hash, validation and recovery of the MatchingEngine (a mixin of it).

Nothing here matches: recovery puts orders straight into the books, so the worker can rebuild the
exact state it persisted; ``state_hash()`` then equals the original's.
"""

import hashlib
from dataclasses import dataclass

from engine.core.book import OrderBook
from engine.core.checks import validate_engine
from engine.core.enums import (
    BUY,
    GTC,
    LIMIT,
    LIMIT_MAKER,
    SELL,
    STOP_LOSS_LIMIT,
    STP,
    STP_NONE,
    TAKE_PROFIT_LIMIT,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from engine.core.errors import RestoreError
from engine.core.filters import MAX_TRAILING_DELTA
from engine.core.order import Order
from engine.core.spec import InstrumentSpec
from engine.core.stops import condition_holds, trigger_price


class UnknownSymbolError(KeyError):
    """A read view or restore call named a symbol with no instrument."""


@dataclass(frozen=True, slots=True)
class OrderView:
    """A snapshot of an open order or waiting stop (``waiting`` True: not in the book yet).

    ``triggered``: a stop that has triggered and entered the book. ``trigger_price``: for a waiting
    stop the price a trade must reach (its stop price, or a trailing stop's current trigger price,
    None before the symbol's first trade); None otherwise. ``trailing_delta`` (basis points) and
    ``trail_peak`` (highest/lowest trade price since placement) for trailing stops. ``oco_leg``: the
    other leg's id while this order is a leg of a live OCO list.
    """

    order_id: int
    owner: int
    symbol: str
    side: Side
    type: OrderType
    price: int
    stop_price: int | None
    qty: int
    filled: int
    remaining: int
    tif: TimeInForce
    stp: STP
    status: OrderStatus
    priority: int
    triggered: bool
    trigger_price: int | None = None
    trailing_delta: int | None = None
    trail_peak: int | None = None
    oco_leg: int | None = None

    @property
    def waiting(self) -> bool:
        return self.type in _STOP_TYPES and not self.triggered


_STOP_TYPES = (STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT)


def _view(o: Order, oco: dict[int, int]) -> OrderView:
    status = OrderStatus.PARTIALLY_FILLED if o.filled else OrderStatus.NEW
    waiting = o.type in _STOP_TYPES and not o.triggered
    return OrderView(
        o.order_id, o.owner, o.symbol, o.side, o.type, o.price, o.stop_price, o.qty, o.filled, o.remaining,
        o.tif, o.stp, status, o.priority, o.triggered, trigger_price(o) if waiting else None, o.trail or None,
        o.peak, oco.get(o.order_id),
    )  # fmt: skip


class EngineViews:
    """Reads, hashing, validation and recovery over the engine's state."""

    _books: dict[str, OrderBook]
    _orders: dict[int, Order]
    _used_ids: set[int]
    _priority: int
    _oco: dict[int, int]

    def _book(self, symbol: str) -> OrderBook:
        book = self._books.get(symbol)
        if book is None:
            raise UnknownSymbolError(symbol)
        return book

    # ------------------------------------------------------------------ reads

    def symbols(self) -> list[str]:
        return list(self._books)

    def spec(self, symbol: str) -> InstrumentSpec:
        return self._book(symbol).spec

    def depth(self, symbol: str, n: int | None = None) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(bids, asks), each up to ``n`` levels (all if None) best first, as (price ticks, total lots)."""
        book = self._book(symbol)
        return book.bids.depth(n), book.asks.depth(n)

    def best_bid(self, symbol: str) -> tuple[int, int] | None:
        lvl = self._book(symbol).bids.best
        return None if lvl is None else (lvl.price, lvl.total)

    def best_ask(self, symbol: str) -> tuple[int, int] | None:
        lvl = self._book(symbol).asks.best
        return None if lvl is None else (lvl.price, lvl.total)

    def level_qty(self, symbol: str, side: Side, price: int) -> int:
        """Total lots resting at one price on one side (0 if no level): for depth-diff publishers."""
        lvl = self._book(symbol).side(side).levels.get(price)
        return 0 if lvl is None else lvl.total

    def seq(self, symbol: str) -> int:
        """The symbol's market sequence: the seq of its last market-visible event (0 if none)."""
        return self._book(symbol).seq

    def last_price(self, symbol: str) -> int | None:
        """Price of the symbol's last trade in ticks, None before the first trade."""
        return self._book(symbol).last_price

    def order(self, order_id: int) -> OrderView | None:
        """An open order or waiting stop; None once it is terminal (the engine forgets those)."""
        o = self._orders.get(order_id)
        return None if o is None else _view(o, self._oco)

    def open_orders(self, symbol: str | None = None) -> list[OrderView]:
        """Open orders and waiting stops (one symbol or all), in time-priority order.

        Restoring them in this order with ``restore_order`` rebuilds identical books.
        """
        orders = [o for o in self._orders.values() if symbol is None or o.symbol == symbol]
        orders.sort(key=lambda o: o.priority)
        return [_view(o, self._oco) for o in orders]

    # ------------------------------------------------------------------ hash, validate

    def state_hash(self) -> str:
        """SHA-256 over every book (tick/lot, seq, last price, levels, orders in FIFO order, waiting stops).

        Deterministic across processes. Does not cover the set of used ids or the priority counter:
        they are not restorable and only need to be larger than any restored priority.
        """
        h = hashlib.sha256()
        for symbol in sorted(self._books):
            book = self._books[symbol]
            s = book.spec
            # only what matching uses: fee rates can change (Exchange.update_instrument) without a book change
            h.update(f"I|{symbol}|{s.tick_size}|{s.lot_size}|{book.seq}|{book.last_price}\n".encode())
            for tag, bside in (("B", book.bids), ("A", book.asks)):
                for lvl in bside.iter_levels():
                    h.update(f"{tag}|{lvl.price}|{lvl.total}|{lvl.count}\n".encode())
                    for o in lvl.orders():
                        h.update(_order_line("o", o, self._oco))
            for o in book.stops.in_priority_order():
                h.update(_order_line("S", o, self._oco))
        return h.hexdigest()

    def validate(self) -> None:
        """Check every invariant of every book; raises InvariantError on the first broken one."""
        validate_engine(self._books, self._orders, self._oco)

    # ------------------------------------------------------------------ recovery

    def restore_market(self, symbol: str, *, seq: int, last_price: int | None) -> None:
        """Set a symbol's market sequence and last trade price (recovery; call before new commands)."""
        book = self._book(symbol)
        if seq < 0 or (last_price is not None and last_price <= 0):
            raise RestoreError(f"{symbol}: bad seq {seq} or last price {last_price}")
        book.seq = seq
        book.last_price = last_price

    def restore_priority_counter(self, last_priority: int) -> None:
        """Set the last time priority handed out (recovery): the largest ``priority`` of any order event
        ever emitted. Not strictly needed for matching (restore_order keeps the counter above every
        restored order), but without it new orders' priorities, and so their events, differ from a run
        that never restarted. Never lowers the counter.
        """
        if last_priority > self._priority:
            self._priority = last_priority

    def restore_order(
        self,
        *,
        order_id: int,
        owner: int,
        symbol: str,
        side: Side,
        type: OrderType,
        qty: int,
        filled: int,
        remaining: int,
        price: int,
        priority: int,
        stop_price: int | None = None,
        tif: TimeInForce = GTC,
        stp: STP = STP_NONE,
        triggered: bool = False,
        trailing_delta: int | None = None,
        trail_peak: int | None = None,
    ) -> None:
        """Put an open order (or, for an untriggered stop, a waiting stop) back, without matching.

        Takes the values the order had (``priority`` from its last OrderEvent; a waiting trailing stop's
        ``trail_peak`` from its last TrailEvent, None if it never had one). Orders may come in any
        order; the level queues are kept in priority order. RestoreError if the values cannot be part
        of a valid state: duplicate id, remaining <= 0, filled + remaining > qty, a book order that
        would cross the other side, a waiting stop whose condition already holds at the last price,
        a trailing peak that cannot be (restore the market first).
        """
        book = self._book(symbol)
        if order_id in self._orders:
            raise RestoreError(f"order {order_id} already restored")
        if side is not Side.BUY and side is not Side.SELL:
            raise RestoreError(f"order {order_id}: bad side {side!r}")
        is_stop = type is STOP_LOSS_LIMIT or type is TAKE_PROFIT_LIMIT
        if not (type is LIMIT or type is LIMIT_MAKER or is_stop):
            raise RestoreError(f"order {order_id}: {type!r} orders never rest")
        trailing = trailing_delta is not None
        if (stop_price is None) == (is_stop and not trailing) or (triggered and not is_stop):
            raise RestoreError(f"order {order_id}: stop_price/triggered do not fit type {type}")
        if trailing and (type is not STOP_LOSS_LIMIT or trailing_delta.__class__ is not int
                         or not 1 <= trailing_delta <= MAX_TRAILING_DELTA):  # fmt: skip
            raise RestoreError(f"order {order_id}: bad trailing_delta {trailing_delta!r}")
        if not (remaining > 0 and filled >= 0 and filled + remaining <= qty and price > 0):
            raise RestoreError(f"order {order_id}: bad quantities/price")
        o = Order(order_id, owner, symbol, side, type, price, stop_price, qty, filled, remaining, tif, stp,
                  priority, triggered, trailing_delta or 0, None if triggered else trail_peak)  # fmt: skip
        if is_stop and not triggered:
            if filled:
                raise RestoreError(f"order {order_id}: a waiting stop cannot have fills")
            last = book.last_price
            if last is not None and condition_holds(o, last):
                raise RestoreError(f"order {order_id}: stop condition already holds at {last}")
            peak = o.peak
            if (
                trailing
                and last is not None
                and (peak is None or (last > peak if side is SELL else last < peak))
            ):
                raise RestoreError(
                    f"order {order_id}: trail_peak {peak} is not reachable with last price {last}"
                )
            if peak is not None and (not trailing or peak.__class__ is not int or peak <= 0):
                raise RestoreError(f"order {order_id}: bad trail_peak {peak!r}")
            book.stops.add(o)
        else:
            opp = (book.asks if side is BUY else book.bids).best
            if opp is not None and (price >= opp.price if side is BUY else price <= opp.price):
                raise RestoreError(f"order {order_id} at {price} would cross the book")
            own = book.bids if side is BUY else book.asks
            lvl = own.levels.get(price)
            if lvl is None:
                lvl = own.new_level(price)
            lvl.insert_by_priority(o)
        self._orders[order_id] = o
        self._used_ids.add(order_id)
        if priority > self._priority:
            self._priority = priority

    def restore_oco(self, leg_id: int, other_id: int) -> None:
        """Link two restored orders as the legs of a live OCO list (after ``restore_order`` of both):
        a resting LIMIT_MAKER and a waiting STOP_LOSS_LIMIT of one owner, symbol and side with the same
        remaining and no fills. RestoreError otherwise (nothing changes)."""
        a, b = self._orders.get(leg_id), self._orders.get(other_id)
        if a is None or b is None or leg_id in self._oco or other_id in self._oco or leg_id == other_id:
            raise RestoreError(f"OCO {leg_id}/{other_id}: both legs must be restored, once, and unlinked")
        self._oco[leg_id], self._oco[other_id] = other_id, leg_id
        try:
            _check_legs(self._book(a.symbol), a, b)
        except RestoreError:
            del self._oco[leg_id], self._oco[other_id]
            raise


def _check_legs(book: OrderBook, a: Order, b: Order) -> None:
    limit, stop = (a, b) if a.type is LIMIT_MAKER else (b, a)
    waiting = book.stops.waiting
    if (
        limit.type is not LIMIT_MAKER or stop.type is not STOP_LOSS_LIMIT or stop.order_id not in waiting
        or limit.order_id in waiting or (a.owner, a.symbol, a.side, a.remaining, a.qty)
        != (b.owner, b.symbol, b.side, b.remaining, b.qty) or a.filled or b.filled
    ):  # fmt: skip
        raise RestoreError(f"OCO {a.order_id}/{b.order_id}: not a resting LIMIT_MAKER and a waiting "
                           "STOP_LOSS_LIMIT of one owner, symbol and side with equal unfilled quantities")  # fmt: skip


def _order_line(tag: str, o: Order, oco: dict[int, int]) -> bytes:
    extra = f"|{o.trail}|{o.peak}" if o.trail else ""
    if o.order_id in oco:
        extra += f"|oco={oco[o.order_id]}"
    return (
        f"{tag}|{o.order_id}|{o.owner}|{o.side}|{o.type}|{o.price}|{o.stop_price}|{o.qty}|{o.filled}|"
        f"{o.remaining}|{o.tif}|{o.stp}|{o.priority}|{int(o.triggered)}{extra}\n"
    ).encode()
