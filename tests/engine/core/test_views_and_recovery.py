import pytest

from engine.core import MatchingEngine, OrderStatus, RestoreError
from tests.engine.core.helpers import BUY, LIMIT, SELL, STOP_LOSS, SYM, SYM2, Book, as_tuple, engine, spec
from tests.engine.core.streams import random_commands, run_core


def test_depth_aggregates_levels_best_first_and_limits_their_number() -> None:
    b = Book()
    for price, qty in [(99, 1), (100, 2), (100, 3), (98, 4)]:
        b.buy(1, qty, price)
    for price, qty in [(102, 1), (101, 2), (103, 3)]:
        b.sell(2, qty, price)
    assert b.eng.depth(SYM, 2) == ([(100, 5), (99, 1)], [(101, 2), (102, 1)])
    assert b.eng.depth(SYM, 0) == ([], [])
    assert b.eng.best_bid(SYM) == (100, 5) and b.eng.best_ask(SYM) == (101, 2)
    assert b.eng.level_qty(SYM, BUY, 100) == 5 and b.eng.level_qty(SYM, SELL, 100) == 0
    assert b.depth() == ([(100, 5), (99, 1), (98, 4)], [(101, 2), (102, 1), (103, 3)])


def test_empty_book_views() -> None:
    eng = engine()
    assert eng.best_bid(SYM) is None and eng.best_ask(SYM) is None
    assert eng.last_price(SYM) is None and eng.seq(SYM) == 0
    assert eng.order(1) is None and eng.open_orders() == []
    eng.validate()
    assert eng.depth(SYM) == ([], [])


def test_order_view_and_open_orders_in_priority_order_including_waiting_stops() -> None:
    eng = engine(SYM, SYM2)
    b, b2 = Book(eng, SYM), Book(eng, SYM2)
    b.buy(1, 5, 100, order_id=10)
    b2.sell(2, 3, 100, order_id=4)
    b.sell(3, 1, 90, type=STOP_LOSS, stop_price=95, order_id=7)
    b.sell(4, 2, 100, order_id=1)
    assert [v.order_id for v in eng.open_orders()] == [10, 4, 7]
    assert [v.order_id for v in eng.open_orders(SYM2)] == [4]
    v = eng.order(10)
    assert v is not None
    assert (v.status, v.qty, v.filled, v.remaining, v.type, v.waiting) == (
        OrderStatus.PARTIALLY_FILLED,
        5,
        2,
        3,
        LIMIT,
        False,
    )
    assert eng.order(7).waiting  # type: ignore[union-attr]
    assert b.depth() == ([(100, 3)], [])


def _restored_copy(eng: MatchingEngine, symbols: tuple[str, ...], reverse: bool = False) -> MatchingEngine:
    new = MatchingEngine()
    for s in symbols:
        new.add_instrument(spec(s))
        new.restore_market(s, seq=eng.seq(s), last_price=eng.last_price(s))
    views = eng.open_orders()
    for v in reversed(views) if reverse else views:
        new.restore_order(
            order_id=v.order_id, owner=v.owner, symbol=v.symbol, side=v.side, type=v.type, qty=v.qty,
            filled=v.filled, remaining=v.remaining, price=v.price, priority=v.priority, stop_price=v.stop_price,
            tif=v.tif, stp=v.stp, triggered=v.triggered, trailing_delta=v.trailing_delta, trail_peak=v.trail_peak,
        )  # fmt: skip
    for v in views:
        if v.oco_leg is not None and v.order_id < v.oco_leg:
            new.restore_oco(v.order_id, v.oco_leg)
    new.restore_priority_counter(eng._priority)
    new.validate()
    return new


def _shift_new_ids(cmds: list[tuple], by: int) -> list[tuple]:
    out = []
    for c in cmds:
        if c[0] == "place":
            c = ("place", {**c[1], "oid": c[1]["oid"] + by})
        elif c[0] == "place_oco":
            c = ("place_oco", {**c[1], "limit_id": c[1]["limit_id"] + by, "stop_id": c[1]["stop_id"] + by})
        out.append(c)
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("reverse", [False, True])
def test_restore_rebuilds_an_identical_engine(seed: int, reverse: bool) -> None:
    symbols = (SYM, SYM2)
    eng = engine(*symbols)
    for cmd in random_commands(seed, 300):
        run_core(eng, cmd)
    new = _restored_copy(eng, symbols, reverse)
    assert new.state_hash() == eng.state_hash()
    assert [v for v in new.open_orders()] == eng.open_orders()
    # and it behaves identically afterwards
    for cmd in _shift_new_ids(list(random_commands(seed + 100, 300)), 10_000):
        assert [as_tuple(e) for e in run_core(new, cmd)] == [as_tuple(e) for e in run_core(eng, cmd)]
    new.validate()
    assert new.state_hash() == eng.state_hash()
    for s in symbols:
        assert new.depth(s) == eng.depth(s)


def test_restore_refuses_data_that_cannot_be_valid() -> None:
    eng = engine()
    eng.restore_order(
        order_id=1,
        owner=1,
        symbol=SYM,
        side=SELL,
        type=LIMIT,
        qty=5,
        filled=0,
        remaining=5,
        price=100,
        priority=1,
    )
    base = dict(owner=1, symbol=SYM, type=LIMIT, qty=5, filled=0, remaining=5, priority=2)
    with pytest.raises(RestoreError):  # duplicate id
        eng.restore_order(order_id=1, side=BUY, price=90, **base)  # type: ignore[arg-type]
    with pytest.raises(RestoreError):  # would cross
        eng.restore_order(order_id=2, side=BUY, price=100, **base)  # type: ignore[arg-type]
    with pytest.raises(RestoreError):  # more than qty
        eng.restore_order(order_id=3, side=BUY, price=90, **{**base, "filled": 1})  # type: ignore[arg-type]
    with pytest.raises(RestoreError):  # waiting stop whose condition holds
        eng.restore_market(SYM, seq=5, last_price=90)
        eng.restore_order(order_id=4, side=SELL, price=80, stop_price=95, **{**base, "type": STOP_LOSS})  # type: ignore[arg-type]
    eng.validate()
    assert eng.depth(SYM) == ([], [(100, 5)])


def test_state_hash_is_deterministic_and_sees_every_change() -> None:
    a, b = Book(), Book()
    for bk in (a, b):
        bk.buy(1, 5, 100)
        bk.sell(2, 2, 101)
    assert a.eng.state_hash() == b.eng.state_hash()
    b.amend(1, 4)
    assert a.eng.state_hash() != b.eng.state_hash()
    assert a.depth() == ([(100, 5)], [(101, 2)])
