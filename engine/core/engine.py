"""MatchingEngine: the commands (place, cancel, amend, cancel_all) over all books.

Every command returns the list of events it caused, in the order they happened (see
docs/engine-core.md, "Event order"). Bad input never raises: it gives one ``Refused`` event and
changes nothing. Read views, validation, hashing and recovery live in ``EngineViews``.
"""

from collections import deque

from engine.core.book import OrderBook, take_out
from engine.core.enums import (
    BUY,
    CANCELED,
    EXPIRE_BOTH,
    EXPIRE_MAKER,
    EXPIRE_TAKER,
    EXPIRED,
    FILLED,
    FOK,
    GTC,
    IOC,
    LIMIT,
    LIMIT_MAKER,
    MARKET,
    NEW,
    PARTIALLY_FILLED,
    REJECTED,
    SELL,
    STP,
    STP_NONE,
    OrderType,
    Reason,
    Side,
    TimeInForce,
)
from engine.core.events import Event, Refused, TriggerEvent, order_event
from engine.core.filters import check_params
from engine.core.matching import END_BUDGET, END_DONE, END_STP, match, walk
from engine.core.oco import OcoCommands
from engine.core.order import Order, event_of
from engine.core.spec import InstrumentSpec
from engine.core.stops import trail_event, trigger_price, would_trigger
from engine.core.views import EngineViews

_NO_LIQUIDITY = Reason.MATCHING_NO_LIQUIDITY
_HUGE = 1 << 62  # "no lot cap" for MARKET orders by quote amount


class MatchingEngine(OcoCommands, EngineViews):
    """All books of the exchange. Single-threaded; not safe for concurrent use.

    Order ids are chosen by the caller and used once: a ``place`` with an id the engine has seen
    (accepted before, in this process or restored) is refused with MATCHING_DUPLICATE_ID.
    """

    def __init__(self) -> None:
        self._books: dict[str, OrderBook] = {}
        self._orders: dict[int, Order] = {}  # open orders and waiting stops, all symbols
        self._used_ids: set[int] = set()
        self._priority = 0  # last time priority handed out
        self._oco: dict[int, int] = {}  # live OCO lists: each leg's id -> the other leg's id

    def add_instrument(self, spec: InstrumentSpec) -> None:
        """Open an empty book. ValueError if the symbol already has one."""
        if spec.symbol in self._books:
            raise ValueError(f"instrument {spec.symbol} already exists")
        self._books[spec.symbol] = OrderBook(spec)

    # ------------------------------------------------------------------ place

    def place(
        self,
        order_id: int,
        owner: int,
        symbol: str,
        side: Side,
        type: OrderType,
        qty: int | None,
        price: int | None = None,
        stop_price: int | None = None,
        tif: TimeInForce = GTC,
        stp: STP = STP_NONE,
        quote_qty: int | None = None,
        trailing_delta: int | None = None,
    ) -> list[Event]:
        """Place an order: ``qty`` in lots, ``price``/``stop_price`` in ticks, ``quote_qty`` in units.

        LIMIT needs price (any tif). MARKET needs exactly one of qty / quote_qty, no price, and tif GTC
        (the default, read as "not given") or IOC; it never rests. LIMIT_MAKER needs price and tif GTC.
        STOP_LOSS_LIMIT / TAKE_PROFIT_LIMIT need price and stop_price; tif applies once triggered.
        A trailing stop is a STOP_LOSS_LIMIT with ``trailing_delta`` (basis points) and no stop_price.
        """
        book = self._books.get(symbol)
        if book is None:
            return [Refused("place", order_id, symbol, Reason.MATCHING_UNKNOWN_SYMBOL, owner)]
        # the common case (a plain LIMIT order) is checked inline; everything else by _check_params
        if not (
            type is LIMIT
            and price.__class__ is int
            and qty.__class__ is int
            and price > 0
            and qty > 0
            and stop_price is None
            and quote_qty is None
            and (side is BUY or side is SELL)
            and (tif is GTC or tif is IOC or tif is FOK)
            and (stp is STP_NONE or stp is EXPIRE_TAKER or stp is EXPIRE_MAKER or stp is EXPIRE_BOTH)
            and trailing_delta is None
        ):
            bad = check_params(side, type, qty, price, stop_price, tif, stp, quote_qty, trailing_delta)
            if bad is not None:
                return [Refused("place", order_id, symbol, bad, owner)]
        used = self._used_ids
        if order_id in used:
            return [Refused("place", order_id, symbol, Reason.MATCHING_DUPLICATE_ID, owner)]
        used.add(order_id)
        self._priority = prio = self._priority + 1
        if type is LIMIT:
            assert qty is not None and price is not None
            best = (book.asks if side is BUY else book.bids).best
            if best is None or (price < best.price if side is BUY else price > best.price):
                # does not cross: rest at once (GTC) or end (IOC/FOK) without a matching pass
                if tif is GTC:
                    o = Order(order_id, owner, symbol, side, LIMIT, price, None, qty, 0, qty, tif, stp, prio)
                    self._orders[order_id] = o
                    own = book.bids if side is BUY else book.asks
                    lvl = own.levels.get(price)
                    if lvl is None:
                        lvl = own.new_level(price)
                    lvl.append(o)
                    book.seq = seq = book.seq + 1
                    return [order_event(order_id, owner, symbol, side, price, NEW, 0, qty, None, seq, prio)]
                reason = _NO_LIQUIDITY if tif is IOC else Reason.MATCHING_FOK_NOT_FILLABLE
                return [order_event(order_id, owner, symbol, side, price, EXPIRED, 0, 0, reason, 0, prio)]
        events: list[Event] = []
        if type is LIMIT:
            assert qty is not None
            traded = self._execute(
                book, order_id, owner, side, type, price, qty, None, tif, stp, prio, None, events
            )
        elif type is MARKET:
            lots = _HUGE if qty is None else qty
            traded = self._execute(
                book, order_id, owner, side, type, None, lots, quote_qty, IOC, stp, prio, None, events
            )
        elif type is LIMIT_MAKER:
            assert qty is not None and price is not None
            best = (book.asks if side is BUY else book.bids).best
            if best is not None and (price >= best.price if side is BUY else price <= best.price):
                reason = Reason.MATCHING_WOULD_TAKE
                return [order_event(order_id, owner, symbol, side, price, REJECTED, 0, 0, reason, 0, prio)]
            traded = self._execute(
                book, order_id, owner, side, type, price, qty, None, GTC, stp, prio, None, events
            )
        else:
            assert qty is not None and price is not None
            o = Order(order_id, owner, symbol, side, type, price, stop_price, qty, 0, qty, tif, stp, prio,
                      trail=trailing_delta or 0)  # fmt: skip
            return self._place_stop(book, o)
        if (traded is not None and book.stops.waiting) or self._oco:
            self._after_pass(book, traded, 0, events)
        return events

    def check_place(
        self,
        order_id: int,
        symbol: str,
        side: Side,
        type: OrderType,
        qty: int | None,
        price: int | None = None,
        stop_price: int | None = None,
        tif: TimeInForce = GTC,
        stp: STP = STP_NONE,
        quote_qty: int | None = None,
        trailing_delta: int | None = None,
    ) -> Reason | None:
        """The reason ``place`` would refuse these parameters with, or None; changes nothing."""
        if symbol not in self._books:
            return Reason.MATCHING_UNKNOWN_SYMBOL
        bad = check_params(side, type, qty, price, stop_price, tif, stp, quote_qty, trailing_delta)
        if bad is None and order_id in self._used_ids:
            return Reason.MATCHING_DUPLICATE_ID
        return bad

    def preview(
        self,
        symbol: str,
        side: Side,
        owner: int,
        stp: STP = STP_NONE,
        *,
        lots: int | None = None,
        budget: int | None = None,
        limit: int | None = None,
    ) -> tuple[int, int]:
        """What a taker would execute against the book now: (lots filled, quote units spent).

        Same rules as matching, STP included (see ``matching.walk``); changes nothing. ``lots`` None
        means no lot cap (a MARKET order by quote ``budget``).
        """
        book = self._books[symbol]
        is_buy = side is BUY
        return walk(
            book.asks if is_buy else book.bids,
            is_buy,
            owner,
            stp,
            limit,
            _HUGE if lots is None else lots,
            budget,
        )

    def _place_stop(self, book: OrderBook, o: Order) -> list[Event]:
        """A stop waits (NEW, seq 0) unless its condition already holds at the last trade price.

        A trailing stop starts from the last trade price (a TrailEvent after its NEW if there is one);
        its condition never holds at placement.
        """
        events: list[Event] = []
        if o.trail:
            o.peak = book.last_price
        if not would_trigger(o, book.last_price):
            book.stops.add(o)
            self._orders[o.order_id] = o
            events.append(event_of(o, NEW, o.qty, None, 0))
            trail_event(o, events)
        else:
            events.append(event_of(o, REJECTED, 0, Reason.MATCHING_WOULD_TRIGGER_IMMEDIATELY, 0))
        return events

    def _execute(
        self,
        book: OrderBook,
        order_id: int,
        owner: int,
        side: Side,
        type: OrderType,
        price: int | None,
        lots: int,
        budget: int | None,
        tif: TimeInForce,
        stp: STP,
        prio: int,
        stop: Order | None,
        events: list[Event],
    ) -> tuple[int, int] | None:
        """One taker pass plus its final order event; rests a GTC remainder. ``stop``: a triggered stop.

        Returns the (first, last) trade price of the pass, or None if nothing traded.
        """
        is_buy = side is BUY
        symbol = book.symbol
        if (
            tif is FOK
            and walk(book.asks if is_buy else book.bids, is_buy, owner, stp, price, lots, None)[0] < lots
        ):
            if stop is not None:
                del self._orders[order_id]
            reason = Reason.MATCHING_FOK_NOT_FILLABLE
            events.append(order_event(order_id, owner, symbol, side, price, EXPIRED, 0, 0, reason, 0, prio))
            return None
        filled, _spent, end, first, last = match(
            book, self._orders, events, order_id, owner, side, is_buy, price, lots, budget, stp
        )
        if end == END_DONE or (end == END_BUDGET and filled):
            if stop is not None:
                del self._orders[order_id]
            events.append(order_event(order_id, owner, symbol, side, price, FILLED, filled, 0, None, 0, prio))
        elif tif is GTC and end != END_STP and price is not None:
            # rest the remainder at the back of its level
            remaining = lots - filled
            if stop is None:
                o = Order(
                    order_id, owner, symbol, side, type, price, None, lots, filled, remaining, tif, stp, prio
                )
                self._orders[order_id] = o
            else:
                o = stop
                o.filled, o.remaining = filled, remaining
            (book.bids if is_buy else book.asks).add(o)
            book.seq += 1
            status = PARTIALLY_FILLED if filled else NEW
            events.append(
                order_event(
                    order_id, owner, symbol, side, price, status, filled, remaining, None, book.seq, prio
                )
            )
        else:
            if stop is not None:
                del self._orders[order_id]
            reason = Reason.MATCHING_STP if end == END_STP else _NO_LIQUIDITY
            events.append(
                order_event(order_id, owner, symbol, side, price, EXPIRED, filled, 0, reason, 0, prio)
            )
        return (first, last) if first else None

    def _after_pass(
        self, book: OrderBook, traded: tuple[int, int] | None, start: int, events: list[Event]
    ) -> None:
        """What a taker's pass (its events from ``events[start]`` on) causes, in this order: the OCO
        lists whose leg it touched end; its trade prices move trailing stops (TrailEvents); the stops
        it triggered leave the waiting list in placement order (a TriggerEvent each, then the end of
        its OCO list), then enter the book one by one, each pass doing the same; the stops a pass
        triggers queue up behind those already triggered."""
        queue: deque[Order] = deque()
        while True:
            if self._oco:
                self._end_touched_lists(book, start, events)
            if traded is not None and book.stops.waiting:
                seq = book.seq  # "when": the last market event of the pass that triggered them
                for o in book.stops.collect(traded[0], traded[1], events):
                    o.triggered = True
                    trigger = trigger_price(o)
                    assert trigger is not None
                    o.peak = None  # a trailing stop's peak means nothing once it has triggered
                    events.append(TriggerEvent(o.order_id, o.owner, o.symbol, o.side, trigger, seq))
                    if o.order_id in self._oco:
                        self._end_list(book, o.order_id, EXPIRED, events)
                    queue.append(o)
            if not queue:
                return
            o = queue.popleft()
            self._priority += 1
            o.priority = prio = self._priority
            start = len(events)
            traded = self._execute(
                book, o.order_id, o.owner, o.side, o.type, o.price, o.remaining, None, o.tif, o.stp, prio, o,
                events,
            )  # fmt: skip

    # ------------------------------------------------------------------ cancel / amend

    def cancel(self, order_id: int, symbol: str) -> list[Event]:
        """Cancel an open order or waiting stop: one CANCELED event, or Refused(MATCHING_UNKNOWN_ORDER)."""
        o = self._orders.get(order_id)
        if o is None or o.symbol != symbol:
            return [Refused("cancel", order_id, symbol, Reason.MATCHING_UNKNOWN_ORDER)]
        book = self._books[symbol]  # _cancel inlined: cancels are on the hot path
        events: list[Event] = [event_of(o, CANCELED, 0, None, take_out(book, self._orders, o))]
        if self._oco and order_id in self._oco:
            self._end_list(book, order_id, CANCELED, events)
        return events

    def _cancel(self, book: OrderBook, o: Order, events: list[Event]) -> None:
        """CANCELED for ``o``, then for the other leg if ``o`` is a leg of a live OCO list."""
        events.append(event_of(o, CANCELED, 0, None, take_out(book, self._orders, o)))
        if self._oco and o.order_id in self._oco:
            self._end_list(book, o.order_id, CANCELED, events)

    def amend(self, order_id: int, symbol: str, new_remaining: int) -> list[Event]:
        """Reduce an order's remaining lots, keeping its queue place. Needs 0 < new < remaining.

        Refused with MATCHING_UNKNOWN_ORDER or MATCHING_BAD_AMEND; otherwise one order event with the
        same status and the new remaining (seq > 0 if the order is in the book). A leg of a live OCO
        list is amended with its other leg (the legs always have the same remaining): two events.
        """
        o = self._orders.get(order_id)
        if o is None or o.symbol != symbol:
            return [Refused("amend", order_id, symbol, Reason.MATCHING_UNKNOWN_ORDER)]
        if type(new_remaining) is not int or not 0 < new_remaining < o.remaining:
            return [Refused("amend", order_id, symbol, Reason.MATCHING_BAD_AMEND)]
        book = self._books[symbol]
        events = [self._amend(book, o, new_remaining)]
        other = self._oco.get(order_id) if self._oco else None
        if other is not None:
            events.append(self._amend(book, self._orders[other], new_remaining))
        return events

    def _amend(self, book: OrderBook, o: Order, new_remaining: int) -> Event:
        delta = o.remaining - new_remaining
        o.remaining = new_remaining
        if o.order_id in book.stops.waiting:
            seq = 0
        else:
            (book.bids if o.side is BUY else book.asks).levels[o.price].total -= delta
            book.seq += 1
            seq = book.seq
        return event_of(o, PARTIALLY_FILLED if o.filled else NEW, new_remaining, None, seq)

    def cancel_all(self, owner: int, symbol: str, side: Side | None = None) -> list[Event]:
        """Cancel every open order and waiting stop of ``owner`` on ``symbol`` (one side if given).

        Events in time-priority order; an empty list if there is nothing to cancel. Scans the symbol's
        orders (O(open orders)); meant for user requests and housekeeping, not for hot loops.
        """
        book = self._books.get(symbol)
        if book is None:
            return [Refused("cancel_all", None, symbol, Reason.MATCHING_UNKNOWN_SYMBOL, owner)]
        mine = [
            o
            for o in self._orders.values()
            if o.owner == owner and o.symbol == symbol and (side is None or o.side is side)
        ]
        mine.sort(key=lambda o: o.priority)
        events: list[Event] = []
        for o in mine:
            if o.order_id in self._orders:  # not already canceled as the other leg of an OCO list
                self._cancel(book, o, events)
        return events
