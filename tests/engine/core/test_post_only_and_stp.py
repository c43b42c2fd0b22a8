from engine.core import STP, Reason
from tests.engine.core.helpers import (
    EXPIRED,
    FILLED,
    FOK,
    IOC,
    LIMIT_MAKER,
    NEW,
    PARTIAL,
    REJECTED,
    Book,
    refusal,
    statuses,
    trades,
)


def test_limit_maker_rests_when_it_would_not_take() -> None:
    b = Book()
    b.sell(1, 1, 101)
    ev = b.buy(2, 3, 100, type=LIMIT_MAKER)
    assert statuses(ev) == [(2, NEW, 0, 3, None)]
    assert b.depth() == ([(100, 3)], [(101, 1)])


def test_limit_maker_is_rejected_when_it_would_take() -> None:
    b = Book()
    b.sell(1, 1, 101)
    before = b.eng.state_hash()
    ev = b.buy(2, 3, 101, type=LIMIT_MAKER)
    assert statuses(ev) == [(2, REJECTED, 0, 0, Reason.MATCHING_WOULD_TAKE)]
    assert b.eng.state_hash() == before
    assert b.depth() == ([], [(101, 1)])


def test_limit_maker_is_rejected_even_against_its_own_owner() -> None:
    b = Book()
    b.sell(1, 1, 101)
    ev = b.buy(1, 3, 102, type=LIMIT_MAKER, stp=STP.EXPIRE_MAKER)
    assert statuses(ev)[0][1] is REJECTED
    assert refusal(b.buy(1, 3, 99, type=LIMIT_MAKER, tif=IOC)) is Reason.FILTER_BAD_PARAMS
    assert b.depth() == ([], [(101, 1)])


def test_expire_taker_ends_the_taker_and_keeps_the_maker() -> None:
    b = Book()
    b.sell(2, 1, 100)
    b.sell(1, 1, 101)
    b.sell(2, 1, 102)
    ev = b.buy(1, 3, 102, stp=STP.EXPIRE_TAKER)
    assert trades(ev) == [(4, 1, 100, 1)]
    assert statuses(ev)[-1] == (4, EXPIRED, 1, 0, Reason.MATCHING_STP)
    assert b.depth() == ([], [(101, 1), (102, 1)])


def test_expire_maker_cancels_resting_and_keeps_matching() -> None:
    b = Book()
    b.sell(1, 1, 100)
    b.sell(2, 1, 100)
    b.sell(1, 1, 101)
    b.sell(2, 2, 101)
    ev = b.buy(1, 3, 101, stp=STP.EXPIRE_MAKER)
    assert trades(ev) == [(5, 2, 100, 1), (5, 4, 101, 2)]
    assert statuses(ev) == [
        (1, EXPIRED, 0, 0, Reason.MATCHING_STP),
        (2, FILLED, 1, 0, None),
        (3, EXPIRED, 0, 0, Reason.MATCHING_STP),
        (4, FILLED, 2, 0, None),
        (5, FILLED, 3, 0, None),
    ]
    expired_seqs = [e.seq for e in ev if getattr(e, "status", None) is EXPIRED]
    assert all(s > 0 for s in expired_seqs)
    assert b.depth() == ([], [])


def test_expire_both_ends_the_maker_and_the_taker() -> None:
    b = Book()
    b.sell(2, 1, 100)
    b.sell(1, 1, 100)
    b.sell(2, 1, 100)
    ev = b.buy(1, 3, 100, stp=STP.EXPIRE_BOTH)
    assert trades(ev) == [(4, 1, 100, 1)]
    assert statuses(ev)[1:] == [
        (2, EXPIRED, 0, 0, Reason.MATCHING_STP),
        (4, EXPIRED, 1, 0, Reason.MATCHING_STP),
    ]
    assert b.depth() == ([], [(100, 1)])


def test_stp_none_lets_an_owner_trade_with_itself() -> None:
    b = Book()
    b.sell(1, 2, 100)
    ev = b.buy(1, 1, 100)
    assert trades(ev) == [(2, 1, 100, 1)]
    assert ev[0].maker_owner == ev[0].taker_owner == 1
    assert statuses(ev)[0] == (1, PARTIAL, 1, 1, None)
    assert b.depth() == ([], [(100, 1)])


def test_stp_only_applies_to_the_same_owner() -> None:
    b = Book()
    b.sell(2, 2, 100)
    ev = b.buy(1, 2, 100, stp=STP.EXPIRE_BOTH)
    assert statuses(ev)[-1] == (2, FILLED, 2, 0, None)
    assert b.depth() == ([], [])


def test_fok_with_expire_maker_does_not_count_own_orders_as_liquidity() -> None:
    b = Book()
    b.sell(1, 3, 100)
    b.sell(2, 2, 100)
    before = b.eng.state_hash()
    ev = b.buy(1, 3, 100, tif=FOK, stp=STP.EXPIRE_MAKER)
    assert statuses(ev) == [(3, EXPIRED, 0, 0, Reason.MATCHING_FOK_NOT_FILLABLE)]
    assert b.eng.state_hash() == before  # the own maker is left alone when the FOK does not run
    ev = b.buy(1, 2, 100, tif=FOK, stp=STP.EXPIRE_MAKER)
    assert statuses(ev) == [
        (1, EXPIRED, 0, 0, Reason.MATCHING_STP),
        (2, FILLED, 2, 0, None),
        (4, FILLED, 2, 0, None),
    ]
    assert b.depth() == ([], [])


def test_fok_with_expire_taker_counts_liquidity_only_up_to_the_first_own_order() -> None:
    b = Book()
    b.sell(2, 1, 100)
    b.sell(1, 1, 100)
    b.sell(2, 5, 101)
    ev = b.buy(1, 2, 101, tif=FOK, stp=STP.EXPIRE_TAKER)
    assert statuses(ev) == [(4, EXPIRED, 0, 0, Reason.MATCHING_FOK_NOT_FILLABLE)]
    ev = b.buy(1, 1, 101, tif=FOK, stp=STP.EXPIRE_BOTH)
    assert statuses(ev) == [(1, FILLED, 1, 0, None), (5, FILLED, 1, 0, None)]
    assert b.depth() == ([], [(100, 1), (101, 5)])
    assert b.eng.order(2) is not None
    ev = b.buy(1, 1, 101, tif=FOK)  # STP NONE: own liquidity counts
    assert trades(ev) == [(6, 2, 100, 1)]
    assert b.depth() == ([], [(101, 5)])
    ev = b.buy(1, 1, 101, tif=FOK, stp=STP.EXPIRE_TAKER)
    assert statuses(ev)[-1] == (7, FILLED, 1, 0, None)
    assert b.depth() == ([], [(101, 4)])
