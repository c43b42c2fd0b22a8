from engine.core import OrderEvent, Reason, TradeEvent, TriggerEvent
from tests.engine.core.helpers import (
    CANCELED,
    EXPIRED,
    FILLED,
    FOK,
    NEW,
    PARTIAL,
    REJECTED,
    SELL,
    STOP_LOSS,
    TAKE_PROFIT,
    Book,
    statuses,
    trades,
)


def _trade_at(b: Book, price: int, owners: tuple[int, int] = (8, 9)) -> None:
    b.sell(owners[0], 1, price)
    b.buy(owners[1], 1, price)


def test_stop_with_no_trade_yet_waits_outside_the_depth() -> None:
    b = Book()
    ev = b.sell(1, 2, 95, type=STOP_LOSS, stop_price=96)
    assert statuses(ev) == [(1, NEW, 0, 2, None)]
    assert ev[0].seq == 0
    assert b.eng.order(1).waiting  # type: ignore[union-attr]
    assert b.depth() == ([], [])


def test_sell_stop_loss_waits_then_enters_as_its_limit_order() -> None:
    b = Book()
    _trade_at(b, 100)
    b.sell(1, 2, 95, type=STOP_LOSS, stop_price=96)
    b.buy(2, 1, 94)
    _trade_at(b, 97)
    assert b.eng.order(3).waiting  # type: ignore[union-attr]
    b.buy(3, 5, 96)
    ev = b.sell(4, 1, 96)  # prints 96: the stop triggers and sells into the 96 bid
    assert trades(ev) == [(8, 7, 96, 1), (3, 7, 96, 2)]
    assert statuses(ev)[-1] == (3, FILLED, 2, 0, None)
    assert b.depth() == ([(96, 2), (94, 1)], [])


def test_buy_stop_loss_triggers_when_the_price_rises_to_it() -> None:
    b = Book()
    _trade_at(b, 100)
    b.buy(1, 2, 106, type=STOP_LOSS, stop_price=105)  # id 3
    _trade_at(b, 104)
    assert b.eng.order(3).waiting  # type: ignore[union-attr]
    b.sell(5, 10, 106)  # id 6
    ev = b.buy(4, 1, 106)  # id 7 prints 106 >= 105
    assert trades(ev) == [(7, 6, 106, 1), (3, 6, 106, 2)]
    assert statuses(ev)[-1] == (3, FILLED, 2, 0, None)
    assert b.depth() == ([], [(106, 7)])


def test_take_profit_triggers_the_other_way() -> None:
    b = Book()
    _trade_at(b, 100)
    b.sell(1, 1, 109, type=TAKE_PROFIT, stop_price=110)  # sell when the price rises to 110
    b.buy(1, 1, 90, type=TAKE_PROFIT, stop_price=91)  # buy when it falls to 91
    assert statuses(b.sell(1, 1, 110, type=TAKE_PROFIT, stop_price=100))[0][1] is REJECTED
    _trade_at(b, 110)
    assert b.eng.order(3).triggered  # type: ignore[union-attr]
    assert b.depth() == ([], [(109, 1)])
    _trade_at(b, 91)
    assert b.depth() == ([(90, 1)], [(109, 1)])


def test_stop_that_would_trigger_immediately_is_rejected() -> None:
    b = Book()
    _trade_at(b, 100)
    for side, typ, stop in [("sell", STOP_LOSS, 100), ("buy", STOP_LOSS, 99), ("sell", TAKE_PROFIT, 100)]:
        ev = getattr(b, side)(1, 1, 100, type=typ, stop_price=stop)
        assert statuses(ev)[0][1:] == (REJECTED, 0, 0, Reason.MATCHING_WOULD_TRIGGER_IMMEDIATELY)
    assert b.eng.open_orders() == []
    assert b.depth() == ([], [])


def test_stops_enter_after_the_taker_in_placement_order() -> None:
    b = Book()
    _trade_at(b, 100)
    b.sell(1, 1, 90, type=STOP_LOSS, stop_price=97)  # id 3
    b.sell(2, 1, 90, type=STOP_LOSS, stop_price=99)  # id 4: higher stop, placed later
    b.buy(7, 5, 95)
    ev = b.sell(8, 1, 95)
    ids = [e.order_id for e in ev if isinstance(e, OrderEvent)]
    assert ids == [5, 6, 5, 3, 5, 4]
    assert trades(ev) == [(6, 5, 95, 1), (3, 5, 95, 1), (4, 5, 95, 1)]
    assert b.depth() == ([(95, 2)], [])


def test_a_stop_triggers_on_any_trade_price_of_the_pass_not_only_the_last() -> None:
    b = Book()
    _trade_at(b, 90)
    b.buy(1, 1, 200, type=STOP_LOSS, stop_price=100)  # buy when a trade prints at >= 100
    b.buy(5, 1, 100)
    b.buy(5, 1, 95)
    ev = b.sell(6, 2, 95)  # prints 100 then 95: the last price is 95 but 100 was reached
    assert statuses(ev)[-1] == (3, NEW, 0, 1, None)
    assert b.eng.last_price(b.symbol) == 95
    assert b.depth() == ([(200, 1)], [])


def test_a_triggered_stop_can_trigger_another() -> None:
    b = Book()
    _trade_at(b, 100)
    b.sell(1, 1, 94, type=STOP_LOSS, stop_price=98)  # id 3
    b.sell(2, 1, 90, type=STOP_LOSS, stop_price=94)  # id 4, triggered by id 3's trade at 94
    b.buy(5, 1, 98)
    b.buy(5, 1, 94)
    b.buy(5, 1, 90)
    ev = b.sell(6, 1, 98)
    assert trades(ev) == [(8, 5, 98, 1), (3, 6, 94, 1), (4, 7, 90, 1)]
    assert b.depth() == ([], [])


def test_triggered_stop_rests_with_a_new_priority_behind_older_orders() -> None:
    b = Book()
    _trade_at(b, 100)
    b.sell(1, 2, 99, type=STOP_LOSS, stop_price=99)  # id 3, priority 3
    b.sell(2, 1, 99)  # id 4
    b.sell(2, 1, 99)  # id 5 rests at 99 before the stop enters
    ev = b.buy(3, 1, 99)  # id 6 trades with id 4 at 99: the stop enters behind id 5
    stop = b.eng.order(3)
    assert stop is not None and stop.triggered and not stop.waiting
    assert stop.priority > b.eng.order(5).priority  # type: ignore[union-attr]
    last = [e for e in ev if isinstance(e, OrderEvent) and e.order_id == 3][-1]
    assert (last.status, last.priority) == (NEW, stop.priority) and last.seq > 0
    assert b.depth() == ([], [(99, 3)])
    assert trades(b.buy(3, 2, 99)) == [(7, 5, 99, 1), (7, 3, 99, 1)]
    assert b.depth() == ([], [(99, 1)])


def test_waiting_stop_can_be_amended_and_canceled_without_seq() -> None:
    b = Book()
    b.sell(1, 5, 90, type=STOP_LOSS, stop_price=95)
    ev = b.amend(1, 2)
    assert statuses(ev) == [(1, NEW, 0, 2, None)] and ev[0].seq == 0
    ev = b.cancel(1)
    assert statuses(ev) == [(1, CANCELED, 0, 0, None)] and ev[0].seq == 0
    assert b.eng.seq(b.symbol) == 0
    assert b.depth() == ([], [])


def test_triggered_fok_stop_that_cannot_fill_expires() -> None:
    b = Book()
    _trade_at(b, 100)
    b.sell(1, 5, 95, type=STOP_LOSS, stop_price=99, tif=FOK)
    b.buy(2, 1, 99)
    ev = b.sell(3, 1, 99)
    assert statuses(ev)[-1] == (3, EXPIRED, 0, 0, Reason.MATCHING_FOK_NOT_FILLABLE)
    assert b.eng.open_orders() == []
    assert b.depth() == ([], [])


def test_partially_filled_triggered_stop_rests() -> None:
    b = Book()
    _trade_at(b, 100)
    b.sell(1, 5, 95, type=STOP_LOSS, stop_price=99)
    b.buy(2, 2, 99)
    ev = b.sell(3, 1, 99)
    assert statuses(ev)[-1] == (3, PARTIAL, 1, 4, None)
    assert b.depth() == ([], [(95, 4)])


def test_a_triggered_stop_says_so_in_an_event_and_its_view() -> None:
    b = Book()
    _trade_at(b, 100)
    b.sell(1, 2, 90, type=STOP_LOSS, stop_price=99)  # id 3: will trigger and rest at 90
    b.sell(1, 1, 80, type=STOP_LOSS, stop_price=85)  # id 4: keeps waiting
    b.buy(2, 1, 99)
    ev = b.sell(3, 1, 99)  # id 6 prints 99
    seq = next(e.seq for e in ev if isinstance(e, TradeEvent))
    assert [e for e in ev if isinstance(e, TriggerEvent)] == [TriggerEvent(3, 1, b.symbol, SELL, 99, seq)]
    triggered, waiting = b.eng.order(3), b.eng.order(4)
    assert triggered is not None and waiting is not None
    assert (triggered.status, triggered.triggered, triggered.waiting, triggered.trigger_price) == (
        NEW,
        True,
        False,
        None,
    )
    assert (waiting.status, waiting.triggered, waiting.waiting, waiting.trigger_price) == (
        NEW,
        False,
        True,
        85,
    )
