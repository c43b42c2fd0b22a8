"""OCO order lists (one-cancels-the-other, as Binance's current OCO), a mixin of MatchingEngine.

A list is two legs of one owner, symbol, side and quantity: a LIMIT_MAKER that rests in the book and
a STOP_LOSS_LIMIT (fixed or trailing) that waits. For a SELL the LIMIT_MAKER is above the stop's
trigger price (take profit above, stop loss below); for a BUY it is below. While the list is live:

- a pass that fills the LIMIT_MAKER (even partly) or expires it (STP) ends the stop leg (EXPIRED,
  ``MATCHING_OCO_OTHER_LEG``) right after that pass, before any stop triggers; the filled leg goes on
  as a plain order;
- when the stop leg triggers, the LIMIT_MAKER leaves the book (EXPIRED, OCO_OTHER_LEG) right after
  the stop's TriggerEvent, before any triggered stop enters the book;
- cancelling either leg cancels the other (CANCELED, OCO_OTHER_LEG); amending one amends both.

The engine keeps ``_oco`` (leg id -> other leg id, both ways) for live lists only.
"""

from engine.core.book import OrderBook, take_out
from engine.core.enums import (
    BUY,
    EXPIRED,
    GTC,
    LIMIT_MAKER,
    NEW,
    REJECTED,
    SELL,
    STOP_LOSS_LIMIT,
    STP,
    STP_NONE,
    OrderStatus,
    Reason,
    Side,
    TimeInForce,
)
from engine.core.events import Event, OrderEvent, Refused
from engine.core.filters import check_params
from engine.core.order import Order, event_of
from engine.core.stops import trail_event, trail_trigger, would_trigger

_OTHER_LEG = Reason.MATCHING_OCO_OTHER_LEG


class OcoCommands:
    """``place_oco``/``check_oco`` and the ending of lists, over the MatchingEngine's state."""

    _books: dict[str, OrderBook]
    _orders: dict[int, Order]
    _used_ids: set[int]
    _priority: int
    _oco: dict[int, int]

    def check_oco(
        self,
        symbol: str,
        side: Side,
        qty: int,
        limit_id: int,
        price: int,
        stop_id: int,
        stop_limit_price: int,
        stop_price: int | None = None,
        *,
        trailing_delta: int | None = None,
        stop_tif: TimeInForce = GTC,
        stp: STP = STP_NONE,
    ) -> Reason | None:
        """The reason ``place_oco`` would refuse these parameters with, or None; changes nothing.

        Each leg must pass ``place``'s filter; the ids must be new and differ (MATCHING_DUPLICATE_ID);
        the LIMIT_MAKER's price must be above the stop's trigger price for a SELL, below for a BUY
        (FILTER_OCO_PRICES; a trailing stop's trigger price is taken from the last trade price, if any).
        """
        book = self._books.get(symbol)
        if book is None:
            return Reason.MATCHING_UNKNOWN_SYMBOL
        bad = check_params(side, LIMIT_MAKER, qty, price, None, GTC, stp, None) or check_params(
            side, STOP_LOSS_LIMIT, qty, stop_limit_price, stop_price, stop_tif, stp, None, trailing_delta
        )
        if bad is not None:
            return bad
        if limit_id == stop_id or limit_id in self._used_ids or stop_id in self._used_ids:
            return Reason.MATCHING_DUPLICATE_ID
        trigger = stop_price
        if trailing_delta is not None and book.last_price is not None:
            trigger = trail_trigger(side is SELL, trailing_delta, book.last_price)
        if trigger is not None and (price <= trigger if side is SELL else price >= trigger):
            return Reason.FILTER_OCO_PRICES
        return None

    def place_oco(
        self,
        owner: int,
        symbol: str,
        side: Side,
        qty: int,
        limit_id: int,
        price: int,
        stop_id: int,
        stop_limit_price: int,
        stop_price: int | None = None,
        *,
        trailing_delta: int | None = None,
        stop_tif: TimeInForce = GTC,
        stp: STP = STP_NONE,
    ) -> list[Event]:
        """Place an OCO list: a LIMIT_MAKER ``limit_id`` at ``price`` and a STOP_LOSS_LIMIT ``stop_id``
        (``stop_price`` or ``trailing_delta``, limit ``stop_limit_price``, tif ``stop_tif``), both for
        ``qty`` lots; ``stp`` applies to both.

        Refused (op "place_oco", order_id ``limit_id``) as ``check_oco`` says, nothing changed. If the
        LIMIT_MAKER would take (MATCHING_WOULD_TAKE) or the stop would trigger at once
        (MATCHING_WOULD_TRIGGER_IMMEDIATELY), both legs are REJECTED (the other one with
        MATCHING_OCO_OTHER_LEG). Otherwise: the LIMIT_MAKER's NEW (it rests, seq > 0), the stop's NEW
        (seq 0) and, for a trailing stop on a symbol that has traded, its TrailEvent. The legs take two
        consecutive priorities, the LIMIT_MAKER first.
        """
        bad = self.check_oco(symbol, side, qty, limit_id, price, stop_id, stop_limit_price, stop_price,
                             trailing_delta=trailing_delta, stop_tif=stop_tif, stp=stp)  # fmt: skip
        if bad is not None:
            return [Refused("place_oco", limit_id, symbol, bad, owner)]
        book = self._books[symbol]
        self._used_ids.update((limit_id, stop_id))
        self._priority += 2
        prio = self._priority
        limit = Order(
            limit_id, owner, symbol, side, LIMIT_MAKER, price, None, qty, 0, qty, GTC, stp, prio - 1
        )
        stop = Order(stop_id, owner, symbol, side, STOP_LOSS_LIMIT, stop_limit_price, stop_price, qty, 0, qty,
                     stop_tif, stp, prio, trail=trailing_delta or 0, peak=book.last_price if trailing_delta else None)  # fmt: skip
        best = (book.asks if side is BUY else book.bids).best
        takes = best is not None and (price >= best.price if side is BUY else price <= best.price)
        if takes or would_trigger(stop, book.last_price):
            return [
                event_of(limit, REJECTED, 0, Reason.MATCHING_WOULD_TAKE if takes else _OTHER_LEG, 0),
                event_of(stop, REJECTED, 0, _OTHER_LEG if takes else Reason.MATCHING_WOULD_TRIGGER_IMMEDIATELY, 0),
            ]  # fmt: skip
        book.side(side).add(limit)
        book.seq += 1
        book.stops.add(stop)
        self._orders[limit_id], self._orders[stop_id] = limit, stop
        self._oco[limit_id], self._oco[stop_id] = stop_id, limit_id
        events: list[Event] = [event_of(limit, NEW, qty, None, book.seq), event_of(stop, NEW, qty, None, 0)]
        trail_event(stop, events)
        return events

    def _end_touched_lists(self, book: OrderBook, start: int, events: list[Event]) -> None:
        """A pass filled (even partly) or expired (STP) a leg of a live list: the other leg EXPIRES."""
        oco = self._oco
        for e in events[start:]:
            if isinstance(e, OrderEvent) and e.order_id in oco:
                self._end_list(book, e.order_id, EXPIRED, events)

    def _end_list(self, book: OrderBook, leg_id: int, status: OrderStatus, events: list[Event]) -> None:
        """Unlink ``leg_id``'s list and end its other leg with ``status`` (reason OCO_OTHER_LEG)."""
        other_id = self._oco.pop(leg_id)
        del self._oco[other_id]
        other = self._orders[other_id]
        events.append(event_of(other, status, 0, _OTHER_LEG, take_out(book, self._orders, other)))
