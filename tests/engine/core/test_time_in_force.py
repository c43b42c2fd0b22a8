from engine.core import Reason
from tests.engine.core.helpers import EXPIRED, FILLED, FOK, IOC, PARTIAL, Book, statuses, trades


def test_ioc_remainder_expires() -> None:
    b = Book()
    b.sell(1, 2, 100)
    ev = b.buy(2, 5, 100, tif=IOC)
    assert trades(ev) == [(2, 1, 100, 2)]
    assert statuses(ev)[-1] == (2, EXPIRED, 2, 0, Reason.MATCHING_NO_LIQUIDITY)
    assert b.depth() == ([], [])


def test_ioc_that_does_not_cross_expires_untouched() -> None:
    b = Book()
    b.sell(1, 2, 101)
    ev = b.buy(2, 5, 100, tif=IOC)
    assert statuses(ev) == [(2, EXPIRED, 0, 0, Reason.MATCHING_NO_LIQUIDITY)]
    assert ev[0].seq == 0
    assert b.depth() == ([], [(101, 2)])


def test_ioc_fully_filled_is_filled() -> None:
    b = Book()
    b.sell(1, 5, 100)
    ev = b.buy(2, 5, 100, tif=IOC)
    assert statuses(ev)[-1] == (2, FILLED, 5, 0, None)
    assert b.depth() == ([], [])


def test_fok_fills_completely_when_liquidity_suffices() -> None:
    b = Book()
    b.sell(1, 2, 100)
    b.sell(1, 3, 101)
    ev = b.buy(2, 5, 101, tif=FOK)
    assert trades(ev) == [(3, 1, 100, 2), (3, 2, 101, 3)]
    assert statuses(ev)[-1] == (3, FILLED, 5, 0, None)
    assert b.depth() == ([], [])


def test_fok_not_fillable_changes_nothing() -> None:
    b = Book()
    b.sell(1, 2, 100)
    b.sell(1, 2, 101)
    before = b.eng.state_hash()
    ev = b.buy(2, 5, 101, tif=FOK)
    assert statuses(ev) == [(3, EXPIRED, 0, 0, Reason.MATCHING_FOK_NOT_FILLABLE)]
    assert b.eng.state_hash() == before
    assert b.depth() == ([], [(100, 2), (101, 2)])


def test_fok_counts_only_liquidity_within_its_limit() -> None:
    b = Book()
    b.sell(1, 2, 100)
    b.sell(1, 9, 102)
    ev = b.buy(2, 3, 101, tif=FOK)
    assert statuses(ev)[-1][1] is EXPIRED
    ev = b.buy(2, 2, 101, tif=FOK)
    assert statuses(ev)[-1] == (4, FILLED, 2, 0, None)
    assert b.depth() == ([], [(102, 9)])


def test_gtc_partial_fill_stays_partially_filled_in_the_book() -> None:
    b = Book()
    b.buy(1, 1, 100)
    ev = b.sell(2, 3, 100)
    assert statuses(ev)[-1] == (2, PARTIAL, 1, 2, None)
    assert b.eng.order(2).status is PARTIAL  # type: ignore[union-attr]
    assert b.depth() == ([], [(100, 2)])
