"""Trailing stops: STOP_LOSS_LIMIT with trailing_delta (basis points) instead of a stop price."""

import pytest

from engine.core import Reason, TrailEvent, TriggerEvent
from tests.engine.core.helpers import BUY, NEW, SELL, STOP_LOSS, TAKE_PROFIT, Book, refusal, statuses, trades


def _trade_at(b: Book, price: int, owners: tuple[int, int] = (8, 9)) -> None:
    b.sell(owners[0], 1, price)
    b.buy(owners[1], 1, price)


def _of(events: list[object], cls: type) -> list[object]:
    return [e for e in events if isinstance(e, cls)]


def test_sell_trailing_stop_starts_from_the_last_price_and_reports_its_trigger_price() -> None:
    b = Book()
    _trade_at(b, 10_000)
    ev = b.sell(1, 2, 9_000, type=STOP_LOSS, trailing_delta=500)  # id 3: 5 % below the peak
    assert statuses(ev) == [(3, NEW, 0, 2, None)]
    assert _of(ev, TrailEvent) == [TrailEvent(3, 1, b.symbol, SELL, 10_000, 9_500)]
    v = b.eng.order(3)
    assert (
        v is not None
        and v.waiting
        and (v.trigger_price, v.trail_peak, v.trailing_delta) == (9_500, 10_000, 500)
    )


def test_the_peak_follows_rises_and_the_stop_triggers_on_the_drop_from_it() -> None:
    b = Book()
    _trade_at(b, 10_000)
    b.sell(1, 2, 9_000, type=STOP_LOSS, trailing_delta=500)  # id 3
    b.sell(8, 1, 10_400)
    ev = b.buy(9, 1, 10_400)  # peak 10,400: trigger 9,880
    assert _of(ev, TrailEvent) == [TrailEvent(3, 1, b.symbol, SELL, 10_400, 9_880)]
    _trade_at(b, 9_881)
    assert b.eng.order(3).waiting  # type: ignore[union-attr]
    b.buy(7, 1, 9_880)  # id 8
    b.buy(7, 5, 9_000)  # id 9: liquidity for the stop
    ev = b.sell(6, 1, 9_880)  # id 10 prints 9,880: at the trigger
    seq = next(e.seq for e in ev if hasattr(e, "taker_id"))
    assert _of(ev, TriggerEvent) == [TriggerEvent(3, 1, b.symbol, SELL, 9_880, seq)]
    assert trades(ev) == [(10, 8, 9_880, 1), (3, 9, 9_000, 2)]  # entered as its LIMIT, sold into the bid
    assert b.eng.order(3) is None


def test_trigger_price_rounds_away_from_the_market_to_the_tick() -> None:
    b = Book()
    _trade_at(b, 101)
    b.sell(1, 1, 50, type=STOP_LOSS, trailing_delta=100)  # 101 * 0.99 = 99.99: trigger 99 (round down)
    b.buy(2, 1, 150, type=STOP_LOSS, trailing_delta=100)  # 101 * 1.01 = 102.01: trigger 103 (round up)
    assert b.eng.order(3).trigger_price == 99  # type: ignore[union-attr]
    assert b.eng.order(4).trigger_price == 103  # type: ignore[union-attr]
    _trade_at(b, 100)  # 100 > 99.99: no trigger for the sell; the buy's trough is now 100: 101
    assert b.eng.order(3).waiting  # type: ignore[union-attr]
    assert b.eng.order(4).trigger_price == 101  # type: ignore[union-attr]


def test_every_trade_price_of_a_pass_counts_in_order() -> None:
    b = Book()
    _trade_at(b, 100)
    b.sell(1, 1, 50, type=STOP_LOSS, trailing_delta=1000)  # id 3, trigger 90
    for price in (105, 108, 120):
        b.sell(5, 1, price)
    # one rising pass prints 105, 108, 120: the peak becomes 120 (trigger 108), nothing triggers
    ev = b.buy(6, 3, 120)
    assert _of(ev, TriggerEvent) == [] and b.eng.order(3).trail_peak == 120  # type: ignore[union-attr]
    for price in (115, 110, 108):
        b.buy(5, 1, price)
    ev = b.sell(6, 3, 108)  # a falling pass 115, 110, 108: 108 is at the trigger
    assert [e.trigger_price for e in _of(ev, TriggerEvent)] == [108]  # type: ignore[attr-defined]


def test_buy_trailing_stop_tracks_the_lowest_price_and_triggers_on_the_rise() -> None:
    b = Book()
    _trade_at(b, 1_000)
    b.buy(1, 1, 2_000, type=STOP_LOSS, trailing_delta=200)  # id 3: 2 % above the trough
    _trade_at(b, 900)  # trough 900: trigger 918
    assert b.eng.order(3).trigger_price == 918  # type: ignore[union-attr]
    b.sell(7, 1, 950)  # id 6 rests
    ev = b.buy(8, 1, 918)  # id 7 rests at 918 (no trade): nothing
    assert _of(ev, TriggerEvent) == []
    b.sell(9, 1, 918)  # trades at 918 with id 7: triggers; the stop buys the 950 ask
    assert b.depth()[1] == []


def test_trailing_delta_is_checked_and_only_on_stop_loss_limit_without_a_stop_price() -> None:
    b = Book()
    for bad in (0, 2001, -5):
        assert refusal(b.sell(1, 1, 90, type=STOP_LOSS, trailing_delta=bad)) is Reason.FILTER_TRAILING_DELTA
    assert (
        refusal(b.sell(1, 1, 90, type=STOP_LOSS, stop_price=95, trailing_delta=10))
        is Reason.FILTER_BAD_PARAMS
    )
    assert refusal(b.sell(1, 1, 90, type=TAKE_PROFIT, trailing_delta=10)) is Reason.FILTER_BAD_PARAMS
    assert refusal(b.sell(1, 1, 90, trailing_delta=10)) is Reason.FILTER_BAD_PARAMS
    assert statuses(b.sell(1, 1, 90, type=STOP_LOSS, trailing_delta=2000))[0][1] is NEW


def test_trailing_stop_placed_before_any_trade_starts_at_the_first_trade() -> None:
    b = Book()
    ev = b.sell(1, 1, 50, type=STOP_LOSS, trailing_delta=1000)
    assert _of(ev, TrailEvent) == [] and b.eng.order(1).trigger_price is None  # type: ignore[union-attr]
    _trade_at(b, 200)
    assert (b.eng.order(1).trail_peak, b.eng.order(1).trigger_price) == (200, 180)  # type: ignore[union-attr]


@pytest.mark.parametrize("peak", [None, 99, 0])
def test_restore_refuses_a_trailing_peak_that_cannot_be(peak: int | None) -> None:
    from engine.core import RestoreError

    b = Book()
    b.eng.restore_market(b.symbol, seq=3, last_price=100)
    with pytest.raises(RestoreError):
        b.eng.restore_order(order_id=1, owner=1, symbol=b.symbol, side=SELL, type=STOP_LOSS, qty=1, filled=0,
                            remaining=1, price=50, priority=1, trailing_delta=100, trail_peak=peak)  # fmt: skip
    b.eng.restore_order(order_id=1, owner=1, symbol=b.symbol, side=SELL, type=STOP_LOSS, qty=1, filled=0,
                        remaining=1, price=50, priority=1, trailing_delta=100, trail_peak=100)  # fmt: skip
    b.eng.validate()
    assert b.eng.order(1).trigger_price == 99  # type: ignore[union-attr]


__all__ = ["BUY"]
