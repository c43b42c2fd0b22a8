from engine.core import Reason
from tests.engine.core.helpers import (
    BUY,
    CANCELED,
    NEW,
    PARTIAL,
    SELL,
    STOP_LOSS,
    SYM,
    SYM2,
    Book,
    engine,
    refusal,
    statuses,
    trades,
)


def test_cancel_removes_the_order_with_a_seq() -> None:
    b = Book()
    b.buy(1, 5, 100)
    b.buy(1, 2, 99)
    ev = b.cancel(1)
    assert statuses(ev) == [(1, CANCELED, 0, 0, None)]
    assert ev[0].seq == 3 == b.eng.seq(b.symbol)
    assert b.eng.order(1) is None
    assert b.depth() == ([(99, 2)], [])


def test_cancel_of_a_partially_filled_order_keeps_its_filled() -> None:
    b = Book()
    b.buy(1, 5, 100)
    b.sell(2, 2, 100)
    assert statuses(b.cancel(1)) == [(1, CANCELED, 2, 0, None)]
    assert b.depth() == ([], [])


def test_cancel_of_an_unknown_order_is_refused_and_changes_nothing() -> None:
    b = Book()
    b.buy(1, 5, 100)
    before = b.eng.state_hash()
    assert refusal(b.cancel(42)) is Reason.MATCHING_UNKNOWN_ORDER
    assert b.eng.state_hash() == before
    b.sell(2, 5, 100)  # fills order 1: a terminal order is unknown too
    assert refusal(b.cancel(1)) is Reason.MATCHING_UNKNOWN_ORDER
    assert b.depth() == ([], [])


def test_cancel_on_the_wrong_symbol_is_refused() -> None:
    eng = engine(SYM, SYM2)
    b = Book(eng, SYM)
    b.buy(1, 5, 100)
    assert refusal(eng.cancel(1, SYM2)) is Reason.MATCHING_UNKNOWN_ORDER
    assert refusal(eng.amend(1, SYM2, 1)) is Reason.MATCHING_UNKNOWN_ORDER
    assert b.depth() == ([(100, 5)], [])


def test_amend_reduces_remaining_and_keeps_queue_priority() -> None:
    b = Book()
    b.sell(1, 5, 100)
    b.sell(2, 5, 100)
    ev = b.amend(1, 2)
    assert statuses(ev) == [(1, NEW, 0, 2, None)]
    assert ev[0].seq == 3
    assert b.depth() == ([], [(100, 7)])
    assert trades(b.buy(3, 3, 100)) == [(3, 1, 100, 2), (3, 2, 100, 1)]
    assert b.depth() == ([], [(100, 4)])


def test_amend_of_a_partially_filled_order_stays_partially_filled() -> None:
    b = Book()
    b.sell(1, 5, 100)
    b.buy(2, 1, 100)
    assert statuses(b.amend(1, 1)) == [(1, PARTIAL, 1, 1, None)]
    assert b.eng.order(1).qty == 5  # type: ignore[union-attr]
    assert b.depth() == ([], [(100, 1)])


def test_amend_to_zero_equal_or_more_is_refused() -> None:
    b = Book()
    b.sell(1, 5, 100)
    before = b.eng.state_hash()
    for qty in (0, -1, 5, 6):
        assert refusal(b.amend(1, qty)) is Reason.MATCHING_BAD_AMEND
    assert refusal(b.amend(9, 1)) is Reason.MATCHING_UNKNOWN_ORDER
    assert b.eng.state_hash() == before
    assert b.depth() == ([], [(100, 5)])


def test_cancel_all_cancels_the_owners_orders_on_one_symbol_in_priority_order() -> None:
    eng = engine(SYM, SYM2)
    b, b2 = Book(eng, SYM), Book(eng, SYM2)
    b.buy(1, 1, 100)  # 1
    b.sell(1, 1, 110)  # 2
    b.buy(2, 1, 101)  # 3: another owner
    b.sell(1, 1, 90, type=STOP_LOSS, stop_price=95)  # 4: a waiting stop
    b2.buy(1, 1, 100, order_id=50)  # other symbol
    ev = eng.cancel_all(1, SYM)
    assert statuses(ev) == [(i, CANCELED, 0, 0, None) for i in (1, 2, 4)]
    assert [e.seq > 0 for e in ev] == [True, True, False]
    assert b.depth() == ([(101, 1)], [])
    assert b2.depth() == ([(100, 1)], [])
    assert eng.cancel_all(1, SYM) == []


def test_cancel_all_for_one_side() -> None:
    b = Book()
    b.buy(1, 1, 100)
    b.sell(1, 1, 110)
    assert [e.order_id for e in b.eng.cancel_all(1, SYM, SELL)] == [2]
    assert b.depth() == ([(100, 1)], [])
    assert [e.order_id for e in b.eng.cancel_all(1, SYM, BUY)] == [1]
    assert refusal(b.eng.cancel_all(1, "NOPE")) is Reason.MATCHING_UNKNOWN_SYMBOL
    assert b.depth() == ([], [])


def test_a_canceled_id_cannot_be_reused() -> None:
    b = Book()
    b.buy(1, 1, 100, order_id=5)
    b.cancel(5)
    assert refusal(b.buy(1, 1, 100, order_id=5)) is Reason.MATCHING_DUPLICATE_ID
    assert b.depth() == ([], [])
