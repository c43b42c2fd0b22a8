"""Test orders (engine/core/whatif.py): the estimate is what ``Exchange.place`` then does, and it
changes nothing.

Spec: tick 0.01, lot 0.001, so one lot is 100_000 base atoms and one tick x lot unit 1_000 quote
atoms. Example count of the random comparison: QX_HYPOTHESIS_EXAMPLES (default 60).
"""

import copy
import os
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core import STP, BalanceEvent, BalanceReason, Exchange, OrderEvent, Reason, Refused, TradeEvent
from engine.core.whatif import Estimate, place_estimate
from tests.engine.core.helpers import (
    BUY,
    EXPIRED,
    FILLED,
    FOK,
    GTC,
    IOC,
    LIMIT,
    LIMIT_MAKER,
    MARKET,
    NEW,
    PARTIAL,
    REJECTED,
    SELL,
    STOP_LOSS,
    SYM,
    TAKE_PROFIT,
    spec,
)

EXAMPLES = int(os.environ.get("QX_HYPOTHESIS_EXAMPLES", "60"))
LOT, UNIT = 100_000, 1_000


def exchange(taker: str = "0.002") -> Exchange:
    ex = Exchange(fee_owner=0)
    ex.add_instrument(spec(base="BTC", quote="USD", maker_fee=Decimal("0.001"), taker_fee=Decimal(taker)))
    for owner in (1, 2, 3):
        ex.deposit(owner, "USD", 10**12, ref=f"u{owner}")
        ex.deposit(owner, "BTC", 10**10, ref=f"b{owner}")
    return ex


def hand_book() -> Exchange:
    """Asks 100.00 x 2 lots (owner 2) and 101.00 x 3 + 1 lots (owners 2, 3); bids 99.00 x 5 (owner 3)."""
    ex = exchange()
    ex.place(1, 2, SYM, SELL, LIMIT, 2, 10_000)
    ex.place(2, 2, SYM, SELL, LIMIT, 3, 10_100)
    ex.place(3, 3, SYM, SELL, LIMIT, 1, 10_100)
    ex.place(4, 3, SYM, BUY, LIMIT, 5, 9_900)
    return ex


def estimate(ex: Exchange, *args: Any, **kw: Any) -> Estimate | Reason:
    before = ex.state_hash()
    out = place_estimate(ex, 100, 1, SYM, *args, **kw)
    assert ex.state_hash() == before, "a test order changed the engine"
    return out


def test_a_limit_buy_that_crosses_two_levels_fills_level_by_level_and_rests_the_rest() -> None:
    ex = hand_book()
    e = estimate(ex, BUY, LIMIT, 7, 10_100)
    assert isinstance(e, Estimate)
    # 2 lots at 100.00, then 3 + 1 at 101.00 (two makers, one level); 1 lot rests at 101.00
    assert e.levels == ((10_000, 2), (10_100, 4))
    assert (e.status, e.reason, e.filled, e.spent) == (PARTIAL, None, 6, 2 * 10_000 + 4 * 10_100)
    # the fee is 0.2% of the base received, per trade, rounded up: 3 trades of 2, 3 and 1 lots
    assert e.fee == sum(-(-q * LOT * 2 // 1000) for q in (2, 3, 1)) and e.fee_asset == "BTC"
    assert (e.rests, e.rest_price) == (1, 10_100)
    assert (e.hold_asset, e.hold, e.locked_after) == ("USD", 7 * 10_100 * UNIT, 1 * 10_100 * UNIT)


def test_a_market_buy_by_quote_amount_spends_what_the_budget_buys() -> None:
    ex = hand_book()
    e = estimate(ex, BUY, MARKET, None, quote_qty=50_000)  # 500.00 USD
    assert isinstance(e, Estimate)
    # 2 lots at 100.00 = 200.00; 300.00 left buys 2 lots at 101.00 (202.00); 98.00 buys no more lot
    assert e.levels == ((10_000, 2), (10_100, 2)) and e.status is FILLED
    assert (e.hold, e.locked_after, e.rests) == (50_000 * UNIT, 0, 0)


def test_a_sell_pays_its_fee_in_quote() -> None:
    e = estimate(hand_book(), SELL, MARKET, 3)
    assert isinstance(e, Estimate)
    assert e.levels == ((9_900, 3),) and e.fee_asset == "USD"
    assert e.fee == -(-3 * 9_900 * UNIT * 2 // 1000)
    assert (e.hold_asset, e.hold) == ("BTC", 3 * LOT)


def test_fok_that_cannot_fill_would_expire_and_ioc_keeps_what_it_got() -> None:
    ex = hand_book()
    fok = estimate(ex, BUY, LIMIT, 3, 10_000, tif=FOK)
    assert isinstance(fok, Estimate)
    assert (fok.status, fok.reason, fok.levels) == (EXPIRED, Reason.MATCHING_FOK_NOT_FILLABLE, ())
    ioc = estimate(ex, BUY, LIMIT, 3, 10_000, tif=IOC)
    assert isinstance(ioc, Estimate)
    assert (ioc.status, ioc.reason, ioc.levels) == (EXPIRED, Reason.MATCHING_NO_LIQUIDITY, ((10_000, 2),))


def test_limit_maker_that_would_cross_is_rejected_and_one_that_does_not_rests() -> None:
    ex = hand_book()
    e = estimate(ex, BUY, LIMIT_MAKER, 1, 10_000)
    assert isinstance(e, Estimate) and (e.status, e.reason) == (REJECTED, Reason.MATCHING_WOULD_TAKE)
    e = estimate(ex, BUY, LIMIT_MAKER, 1, 9_950)
    assert isinstance(e, Estimate) and (e.status, e.rests, e.locked_after) == (NEW, 1, 9_950 * UNIT)


def test_a_stop_waits_with_its_hold_unless_it_would_trigger_at_once() -> None:
    ex = hand_book()
    ex.place(5, 3, SYM, BUY, LIMIT, 1, 10_000)  # a trade at 100.00: the last price
    e = estimate(ex, SELL, STOP_LOSS, 2, 9_000, stop_price=9_500)
    assert isinstance(e, Estimate) and (e.status, e.rests, e.hold, e.locked_after) == (
        NEW,
        2,
        2 * LOT,
        2 * LOT,
    )
    e = estimate(ex, SELL, TAKE_PROFIT, 2, 9_000, stop_price=9_500)
    assert isinstance(e, Estimate)
    assert (e.status, e.reason) == (REJECTED, Reason.MATCHING_WOULD_TRIGGER_IMMEDIATELY)


def test_self_trade_prevention_is_answered_as_matching_would() -> None:
    ex = hand_book()  # owner 2 has the 100.00 ask and the first 101.00 ask
    taker = place_estimate(ex, 100, 2, SYM, BUY, LIMIT, 4, 10_100, stp=STP.EXPIRE_TAKER)
    assert isinstance(taker, Estimate)
    assert (taker.status, taker.reason, taker.levels) == (EXPIRED, Reason.MATCHING_STP, ())
    maker = place_estimate(ex, 100, 2, SYM, BUY, LIMIT, 4, 10_100, stp=STP.EXPIRE_MAKER)
    assert isinstance(maker, Estimate)
    assert (maker.status, maker.levels, maker.rests) == (PARTIAL, ((10_100, 1),), 3)


def test_refusals_are_the_reasons_place_gives() -> None:
    ex = hand_book()
    assert estimate(ex, BUY, LIMIT, 10**6, 10_000) is Reason.RISK_INSUFFICIENT_FUNDS
    assert estimate(ex, BUY, MARKET, 1, 10_000) is Reason.FILTER_BAD_PARAMS
    assert place_estimate(ex, 1, 1, SYM, BUY, LIMIT, 1, 10_000) is Reason.MATCHING_DUPLICATE_ID
    assert place_estimate(ex, 100, 1, "NOPE", BUY, LIMIT, 1, 10_000) is Reason.MATCHING_UNKNOWN_SYMBOL


# ------------------------------------------------------------------ the estimate is what place does

makers = st.lists(
    st.tuples(
        st.sampled_from([1, 2, 3]), st.sampled_from([BUY, SELL]), st.integers(1, 6), st.integers(95, 105)
    ),
    max_size=14,
)
takers = st.fixed_dictionaries(
    {
        "owner": st.sampled_from([1, 2]),
        "side": st.sampled_from([BUY, SELL]),
        "type": st.sampled_from([LIMIT, LIMIT, MARKET, LIMIT_MAKER, STOP_LOSS, TAKE_PROFIT]),
        "qty": st.integers(1, 25),
        "price": st.integers(93, 107),
        "stop": st.integers(93, 107),
        "by_quote": st.booleans(),
        "quote": st.integers(1, 3_000),
        "tif": st.sampled_from([GTC, GTC, IOC, FOK]),
        "stp": st.sampled_from(list(STP)),
        "poor": st.booleans(),
    }
)


def _taker_args(t: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    side, typ = t["side"], t["type"]
    kw: dict[str, Any] = {"stp": t["stp"]}
    if typ is MARKET:
        if t["by_quote"]:
            return (side, typ, None), {**kw, "quote_qty": t["quote"]}
        return (side, typ, t["qty"]), kw
    if typ is LIMIT_MAKER:
        return (side, typ, t["qty"], t["price"]), kw
    if typ in (STOP_LOSS, TAKE_PROFIT):
        return (side, typ, t["qty"], t["price"]), {**kw, "stop_price": t["stop"], "tif": t["tif"]}
    return (side, typ, t["qty"], t["price"]), {**kw, "tif": t["tif"]}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(makers=makers, taker=takers)
def test_the_estimate_is_what_place_then_does(makers: list[Any], taker: dict[str, Any]) -> None:
    ex = exchange()
    for oid, (owner, side, qty, price) in enumerate(makers, 1):  # crossing makers trade: a last price
        ex.place(oid, owner, SYM, side, LIMIT, qty, price)
    owner = taker["owner"]
    if taker["poor"]:  # little money: the funds check decides
        for asset in ("USD", "BTC"):
            ex.adjust(owner, asset, 30_000 - ex.balance(owner, asset)[0], ref="poor")
    args, kw = _taker_args(taker)
    before = ex.state_hash()
    est = place_estimate(ex, 1000, owner, SYM, *args, **kw)
    assert ex.state_hash() == before
    real = copy.deepcopy(ex)
    events = real.place(1000, owner, SYM, *args, **kw)
    real.validate()
    if not isinstance(est, Estimate):
        assert events == [Refused("place", 1000, SYM, est, owner)]
        return
    assert not isinstance(events[0], Refused)
    mine = [e for e in events if isinstance(e, OrderEvent) and e.order_id == 1000]
    last = mine[-1]
    assert (last.status, last.reason) == (est.status, est.reason)
    trades = [(e.price, e.qty) for e in events if isinstance(e, TradeEvent) and e.taker_id == 1000]
    by_level: dict[int, int] = {}
    for px, q in trades:
        by_level[px] = by_level.get(px, 0) + q
    assert dict(est.levels) == by_level and list(dict(est.levels)) == list(by_level)
    assert est.filled == sum(q for _, q in trades) == last.filled
    assert est.spent == sum(px * q for px, q in trades)
    fees = [e for e in events if isinstance(e, BalanceEvent) and e.reason is BalanceReason.FEE
            and e.order_id == 1000 and e.owner == owner]  # fmt: skip
    assert est.fee == -sum(e.delta_free for e in fees)
    assert all(e.asset == est.fee_asset for e in fees)
    holds = [e for e in events if isinstance(e, BalanceEvent) and e.reason is BalanceReason.ORDER_HOLD]
    assert est.hold == sum(e.delta_locked for e in holds)
    assert all(e.asset == est.hold_asset for e in holds)
    resting = last.status in (NEW, PARTIAL)
    assert est.rests == (last.remaining if resting else 0)
    view = real.order(1000)
    assert est.rest_price == (view.price if view is not None else None)
    locked_now = real.balance(owner, est.hold_asset)[1] - ex.balance(owner, est.hold_asset)[1]
    if not any(isinstance(e, TradeEvent) and e.maker_owner == owner for e in events):
        assert est.locked_after == locked_now
