from engine.core import Reason
from tests.engine.core.helpers import EXPIRED, FILLED, FOK, IOC, MARKET, Book, refusal, statuses, trades


def test_market_by_qty_sweeps_levels_and_expires_the_remainder() -> None:
    b = Book()
    b.sell(1, 2, 100)
    b.sell(1, 2, 105)
    ev = b.buy(2, 5)
    assert trades(ev) == [(3, 1, 100, 2), (3, 2, 105, 2)]
    assert statuses(ev)[-1] == (3, EXPIRED, 4, 0, Reason.MATCHING_NO_LIQUIDITY)
    assert ev[-1].price is None
    assert b.depth() == ([], [])


def test_market_by_qty_filled_completely() -> None:
    b = Book()
    b.buy(1, 4, 100)
    ev = b.sell(2, 3)
    assert statuses(ev)[-1] == (2, FILLED, 3, 0, None)
    assert b.depth() == ([(100, 1)], [])


def test_market_on_empty_book_expires_with_no_liquidity() -> None:
    b = Book()
    ev = b.sell(1, 3)
    assert statuses(ev) == [(1, EXPIRED, 0, 0, Reason.MATCHING_NO_LIQUIDITY)]
    assert b.depth() == ([], [])


def test_market_buy_by_quote_spends_at_most_the_budget() -> None:
    b = Book()
    b.sell(1, 2, 100)
    b.sell(1, 5, 110)
    # 2 lots at 100 = 200 units; 130 left buys one more lot at 110; 20 units are left unspent
    ev = b.buy(2, None, quote_qty=330)
    assert trades(ev) == [(3, 1, 100, 2), (3, 2, 110, 1)]
    assert statuses(ev)[-1] == (3, FILLED, 3, 0, None)
    assert b.depth() == ([], [(110, 4)])


def test_market_sell_by_quote_receives_at_most_the_budget() -> None:
    b = Book()
    b.buy(1, 1, 100)
    b.buy(1, 5, 40)
    # sells 1 at 100 (100 units), then 150 // 40 = 3 lots at 40 (120 units): 220 <= 250
    ev = b.sell(2, None, quote_qty=250)
    assert trades(ev) == [(3, 1, 100, 1), (3, 2, 40, 3)]
    assert statuses(ev)[-1] == (3, FILLED, 4, 0, None)
    assert b.depth() == ([(40, 2)], [])


def test_market_by_quote_that_runs_out_of_book_expires() -> None:
    b = Book()
    b.sell(1, 2, 100)
    ev = b.buy(2, None, quote_qty=10_000)
    assert statuses(ev)[-1] == (2, EXPIRED, 2, 0, Reason.MATCHING_NO_LIQUIDITY)
    assert b.depth() == ([], [])


def test_market_by_quote_too_small_for_one_lot_expires_untouched() -> None:
    b = Book()
    b.sell(1, 2, 100)
    ev = b.buy(2, None, quote_qty=99)
    assert statuses(ev) == [(2, EXPIRED, 0, 0, Reason.MATCHING_NO_LIQUIDITY)]
    assert b.depth() == ([], [(100, 2)])


def test_market_never_rests_even_when_gtc_is_passed() -> None:
    b = Book()
    b.sell(1, 1, 100)
    ev = b.buy(2, 3, type=MARKET)
    assert statuses(ev)[-1][1] is EXPIRED
    assert b.depth() == ([], [])


def test_market_refuses_price_fok_and_both_or_neither_quantity() -> None:
    b = Book()
    b.sell(1, 1, 100)
    assert refusal(b.buy(2, 1, 100, type=MARKET)) is Reason.FILTER_BAD_PARAMS
    assert refusal(b.buy(2, 1, type=MARKET, tif=FOK)) is Reason.FILTER_BAD_PARAMS
    assert refusal(b.buy(2, 1, quote_qty=100)) is Reason.FILTER_BAD_PARAMS
    assert refusal(b.buy(2, None)) is Reason.FILTER_BAD_PARAMS
    assert refusal(b.buy(2, None, quote_qty=0)) is Reason.FILTER_BAD_PARAMS
    assert statuses(b.buy(2, 1, type=MARKET, tif=IOC))[-1][1] is FILLED
    assert b.depth() == ([], [])
