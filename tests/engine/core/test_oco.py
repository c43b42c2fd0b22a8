"""OCO order lists: a LIMIT_MAKER and a STOP_LOSS_LIMIT, one ends the other; one hold for both."""

import pytest

from engine.core import BalanceEvent, Exchange, Reason, RestoreError, TriggerEvent
from tests.engine.core.helpers import (
    BUY,
    CANCELED,
    EXPIRED,
    FILLED,
    LIMIT,
    NEW,
    PARTIAL,
    REJECTED,
    SELL,
    SYM,
    Book,
    refusal,
    spec,
    statuses,
    trades,
)

OTHER = Reason.MATCHING_OCO_OTHER_LEG


def _trade_at(b: Book, price: int) -> None:
    b.sell(8, 1, price)
    b.buy(9, 1, price)


def _sell_oco(
    b: Book, qty: int = 2, limit: int = 110, stop: int = 95, stop_limit: int = 94, **kw: object
) -> list:
    ev = b.eng.place_oco(1, SYM, SELL, qty, 10, limit, 11, stop_limit, stop, **kw)  # type: ignore[arg-type]
    b.eng.validate()
    return ev


def test_sell_oco_rests_the_limit_maker_and_waits_with_the_stop() -> None:
    b = Book()
    _trade_at(b, 100)
    ev = _sell_oco(b)
    assert statuses(ev) == [(10, NEW, 0, 2, None), (11, NEW, 0, 2, None)]
    assert ev[0].seq > 0 and ev[1].seq == 0
    assert b.depth() == ([], [(110, 2)])
    assert b.eng.order(10).oco_leg == 11 and b.eng.order(11).oco_leg == 10  # type: ignore[union-attr]


def test_a_partial_fill_of_the_limit_leg_expires_the_stop_leg_in_the_same_step() -> None:
    b = Book()
    _trade_at(b, 100)
    _sell_oco(b)
    ev = b.buy(2, 1, 110)
    assert trades(ev) == [(b.next_id - 1, 10, 110, 1)]
    assert (11, EXPIRED, 0, 0, OTHER) in statuses(ev)
    assert statuses(ev)[0] == (10, PARTIAL, 1, 1, None)
    assert b.eng.order(10).oco_leg is None and b.eng.order(11) is None  # type: ignore[union-attr]


def test_the_stop_leg_triggering_takes_the_limit_leg_out_of_the_book_first() -> None:
    b = Book()
    _trade_at(b, 100)
    _sell_oco(b)
    b.buy(3, 5, 94)
    ev = b.sell(4, 1, 94)  # prints 94 <= 95: the stop triggers
    kinds = [type(e).__name__ for e in ev]
    i = kinds.index("TriggerEvent")
    assert isinstance(ev[i], TriggerEvent) and ev[i].order_id == 11
    assert statuses([ev[i + 1]]) == [(10, EXPIRED, 0, 0, OTHER)] and ev[i + 1].seq > 0
    assert statuses(ev)[-1] == (11, FILLED, 2, 0, None)
    assert b.depth() == ([(94, 2)], [])


def test_cancelling_either_leg_cancels_the_list_and_amending_one_amends_both() -> None:
    b = Book()
    _trade_at(b, 100)
    _sell_oco(b, qty=5)
    ev = b.amend(11, 3)
    assert statuses(ev) == [(11, NEW, 0, 3, None), (10, NEW, 0, 3, None)]
    assert b.depth() == ([], [(110, 3)])
    ev = b.cancel(11)
    assert statuses(ev) == [(11, CANCELED, 0, 0, None), (10, CANCELED, 0, 0, OTHER)]
    assert b.depth() == ([], []) and b.eng.open_orders() == []


def test_cancel_all_cancels_each_list_once() -> None:
    b = Book()
    _trade_at(b, 100)
    _sell_oco(b)
    ev = b.eng.cancel_all(1, SYM)
    assert statuses(ev) == [(10, CANCELED, 0, 0, None), (11, CANCELED, 0, 0, OTHER)]


def test_oco_prices_are_checked_against_each_other_and_the_market() -> None:
    b = Book()
    _trade_at(b, 100)
    assert refusal(_sell_oco(b, limit=95, stop=95)) is Reason.FILTER_OCO_PRICES
    assert refusal(b.eng.place_oco(1, SYM, BUY, 1, 10, 105, 11, 106, 105)) is Reason.FILTER_OCO_PRICES
    assert refusal(_sell_oco(b, qty=0)) is Reason.FILTER_LOT_SIZE
    assert refusal(b.eng.place_oco(1, SYM, SELL, 1, 10, 110, 10, 94, 95)) is Reason.MATCHING_DUPLICATE_ID
    # the stop would trigger at once (last 100 <= 101): both legs REJECTED, ids used
    ev = _sell_oco(b, stop=101)
    assert statuses(ev) == [
        (10, REJECTED, 0, 0, OTHER),
        (11, REJECTED, 0, 0, Reason.MATCHING_WOULD_TRIGGER_IMMEDIATELY),
    ]
    b.buy(5, 1, 105)
    ev = b.eng.place_oco(1, SYM, SELL, 1, 20, 104, 21, 94, 95)  # the maker would take the 105 bid
    assert statuses(ev) == [(20, REJECTED, 0, 0, Reason.MATCHING_WOULD_TAKE), (21, REJECTED, 0, 0, OTHER)]
    assert b.depth() == ([(105, 1)], [])


def test_a_trailing_stop_leg() -> None:
    b = Book()
    _trade_at(b, 100)
    ev = b.eng.place_oco(1, SYM, SELL, 1, 10, 110, 11, 80, None, trailing_delta=500)
    assert b.eng.order(11).trigger_price == 95  # type: ignore[union-attr]
    assert (
        refusal(b.eng.place_oco(1, SYM, SELL, 1, 12, 95, 13, 80, None, trailing_delta=500))
        is Reason.FILTER_OCO_PRICES
    )
    assert statuses(ev)[1] == (11, NEW, 0, 1, None)


def test_exchange_holds_once_for_the_list_and_hands_the_hold_to_the_surviving_leg() -> None:
    ex = Exchange()
    ex.add_instrument(spec(base="BTC", quote="USD"))
    for owner in (1, 2, 8, 9):
        ex.deposit(owner, "USD", 10**9)
        ex.deposit(owner, "BTC", 10**8)
    ex.place(1, 8, SYM, SELL, ex.matching.spec(SYM) and LIMIT, 1, 100)
    ex.place(2, 9, SYM, BUY, LIMIT, 1, 100)
    unit = 1_000  # quote atoms per tick x lot
    # BUY list: LIMIT_MAKER at 90 below, stop at 105 (limit 107) above: one hold of 107 x 3
    ev = ex.place_oco(1, SYM, BUY, 3, 10, 90, 11, 107, 105)
    holds = [e for e in ev if isinstance(e, BalanceEvent)]
    assert [(e.delta_free, e.delta_locked, e.order_id) for e in holds] == [
        (-107 * 3 * unit, 107 * 3 * unit, 10)
    ]
    assert ex.balance(1, "USD")[1] == 107 * 3 * unit
    ex.validate()
    # someone sells 1 into the 90 maker: the stop leg expires, the hold shrinks to 90 x 2
    ex.place(12, 2, SYM, SELL, LIMIT, 1, 90)
    ex.validate()
    assert ex.balance(1, "USD")[1] == 90 * 2 * unit
    assert ex.order(11) is None
    ex.cancel(10, SYM)
    ex.validate()
    assert ex.balance(1, "USD") == (10**9 - 90 * unit, 0)


def test_restore_oco_links_two_restored_legs_and_refuses_others() -> None:
    b = Book()
    _trade_at(b, 100)
    _sell_oco(b)
    new = Book()
    new.eng.restore_market(SYM, seq=b.eng.seq(SYM), last_price=100)
    for v in b.eng.open_orders():
        new.eng.restore_order(order_id=v.order_id, owner=v.owner, symbol=v.symbol, side=v.side, type=v.type,
                              qty=v.qty, filled=v.filled, remaining=v.remaining, price=v.price,
                              priority=v.priority, stop_price=v.stop_price)  # fmt: skip
    with pytest.raises(RestoreError):  # a leg cannot be its own other leg
        new.eng.restore_oco(10, 10)
    assert new.eng.state_hash() != b.eng.state_hash()
    new.eng.restore_oco(10, 11)
    new.eng.validate()
    assert new.eng.state_hash() == b.eng.state_hash()


def test_a_pass_that_fills_the_limit_leg_and_reaches_the_stop_price_fills_it_and_triggers_nothing() -> None:
    b = Book()
    _trade_at(b, 100)
    _sell_oco(b)  # LIMIT_MAKER 110 above, stop 95 below
    b.sell(5, 1, 90)  # id 3 rests below the stop price
    ev = b.buy(6, 3, 110)  # id 4 prints 90 (<= 95) then 110 (the limit leg) in one pass
    assert trades(ev) == [(4, 3, 90, 1), (4, 10, 110, 2)]
    assert not [e for e in ev if isinstance(e, TriggerEvent)]
    assert statuses(ev)[-1] == (11, EXPIRED, 0, 0, OTHER)
    assert b.eng.open_orders() == []
