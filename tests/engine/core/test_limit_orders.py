from engine.core import OrderEvent, TradeEvent
from tests.engine.core.helpers import FILLED, NEW, PARTIAL, Book, statuses, trades


def test_limit_order_rests_when_it_does_not_cross() -> None:
    b = Book()
    ev = b.buy(1, 5, 100)
    assert statuses(ev) == [(1, NEW, 0, 5, None)]
    assert ev[0].seq == 1 and ev[0].price == 100
    b.sell(2, 3, 101)
    assert b.depth() == ([(100, 5)], [(101, 3)])


def test_trades_print_at_the_makers_price() -> None:
    b = Book()
    b.sell(1, 5, 100)
    ev = b.buy(2, 5, 105)
    assert trades(ev) == [(2, 1, 100, 5)]
    assert b.eng.last_price(b.symbol) == 100
    assert b.depth() == ([], [])


def test_fifo_within_a_level() -> None:
    b = Book()
    b.sell(1, 2, 100)
    b.sell(2, 2, 100)
    b.sell(3, 2, 100)
    ev = b.buy(9, 5, 100)
    assert trades(ev) == [(4, 1, 100, 2), (4, 2, 100, 2), (4, 3, 100, 1)]
    assert b.depth() == ([], [(100, 1)])


def test_best_price_first_across_levels() -> None:
    b = Book()
    b.sell(1, 1, 103)
    b.sell(1, 1, 101)
    b.sell(1, 1, 102)
    ev = b.buy(2, 3, 103)
    assert [t[2] for t in trades(ev)] == [101, 102, 103]
    b.buy(1, 1, 90)
    b.buy(1, 1, 92)
    ev = b.sell(2, 2, 80)
    assert [t[2] for t in trades(ev)] == [92, 90]
    assert b.depth() == ([], [])


def test_partial_fill_rests_the_remainder_in_the_depth_with_its_own_seq() -> None:
    b = Book()
    b.sell(1, 2, 100)
    ev = b.buy(2, 5, 101)
    assert [type(e) for e in ev] == [TradeEvent, OrderEvent, OrderEvent]
    taker = ev[-1]
    assert (taker.status, taker.filled, taker.remaining) == (PARTIAL, 2, 3)
    assert taker.seq == ev[0].seq + 1
    assert b.depth() == ([(101, 3)], [])


def test_maker_fill_events_carry_no_seq_and_trades_do() -> None:
    b = Book()
    b.sell(1, 2, 100)
    b.sell(1, 2, 100)
    ev = b.buy(2, 3, 100)
    assert [e.seq for e in ev] == [3, 0, 4, 0, 0]
    assert statuses(ev) == [(1, FILLED, 2, 0, None), (2, PARTIAL, 1, 1, None), (3, FILLED, 3, 0, None)]
    assert b.depth() == ([], [(100, 1)])


def test_empty_levels_are_removed() -> None:
    b = Book()
    b.sell(1, 1, 100)
    b.sell(1, 1, 101)
    b.buy(2, 1, 100)
    assert b.depth() == ([], [(101, 1)])
    b.cancel(2)
    assert b.depth() == ([], [])


def test_taker_gets_one_final_event_after_all_its_makers() -> None:
    b = Book()
    for _ in range(3):
        b.sell(1, 1, 100)
    ev = b.buy(2, 3, 100)
    assert [e.order_id for e in ev if isinstance(e, OrderEvent)] == [1, 2, 3, 4]
    assert ev[-1].status is FILLED and ev[-1].filled == 3
    assert b.depth() == ([], [])


def test_order_ids_are_unique_per_engine_not_per_symbol() -> None:
    b = Book()
    b.buy(1, 1, 100, order_id=7)
    ev = b.eng.place(7, 1, b.symbol, b.eng.order(7).side, b.eng.order(7).type, 1, 90)  # type: ignore[union-attr]
    assert ev[0].reason == "MATCHING_DUPLICATE_ID"
    assert b.depth() == ([(100, 1)], [])
