"""Exchange: holds, releases, settlement, fees, funds operations, recovery (engine/core/risk.py).

Spec: tick 0.01, lot 0.001, so one lot is 100_000 base atoms and one tick x lot unit 1_000 quote atoms.
"""

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from engine.core import STP, BalanceEvent, BalanceReason, Exchange, OrderEvent, Reason, TradeEvent
from tests.engine.core.helpers import (
    BUY,
    EXPIRED,
    FILLED,
    IOC,
    LIMIT,
    MARKET,
    SELL,
    STOP_LOSS,
    SYM,
    refusal,
    spec,
)

LOT, UNIT = 100_000, 1_000
FEE = 0  # fee owner


def exchange(maker: str = "0", taker: str = "0") -> Exchange:
    ex = Exchange(fee_owner=FEE)
    ex.add_instrument(spec(base="BTC", quote="USD", maker_fee=Decimal(maker), taker_fee=Decimal(taker)))
    return ex


def funded(maker: str = "0", taker: str = "0", usd: int = 10**9, btc: int = 10**8) -> Exchange:
    ex = exchange(maker, taker)
    for owner in (1, 2, 3):
        ex.deposit(owner, "USD", usd, ref=f"d{owner}u")
        ex.deposit(owner, "BTC", btc, ref=f"d{owner}b")
    return ex


def place(
    ex: Exchange, oid: int, owner: int, side: Any, qty: int | None, price: int | None = None, **kw: Any
) -> list[Any]:
    typ = kw.pop("type", LIMIT if price is not None else MARKET)
    events = ex.place(oid, owner, SYM, side, typ, qty, price, **kw)
    ex.validate()
    return events


def balance_events(events: list[Any]) -> list[tuple[int, str, int, int, str]]:
    return [
        (e.owner, e.asset, e.delta_free, e.delta_locked, str(e.reason))
        for e in events
        if isinstance(e, BalanceEvent)
    ]


def test_buy_limit_holds_price_times_qty_in_quote_and_cancel_releases_it() -> None:
    ex = funded()
    ev = place(ex, 1, 1, BUY, 3, 100)
    assert balance_events(ev)[0] == (1, "USD", -300 * UNIT, 300 * UNIT, "ORDER_HOLD")
    assert ex.balance(1, "USD") == (10**9 - 300 * UNIT, 300 * UNIT)
    ev = ex.cancel(1, SYM)
    assert balance_events(ev) == [(1, "USD", 300 * UNIT, -300 * UNIT, "ORDER_RELEASE")]
    assert ex.balance(1, "USD") == (10**9, 0)
    ex.validate()


def test_sell_holds_the_base_qty() -> None:
    ex = funded()
    place(ex, 1, 1, SELL, 7, 100)
    assert ex.balance(1, "BTC") == (10**8 - 7 * LOT, 7 * LOT)
    assert ex.matching.depth(SYM) == ([], [(100, 7)])


def test_insufficient_funds_is_refused_and_changes_nothing() -> None:
    ex = funded(usd=299 * UNIT, btc=2 * LOT)
    before = ex.state_hash()
    assert refusal(place(ex, 1, 1, BUY, 3, 100)) is Reason.RISK_INSUFFICIENT_FUNDS
    assert refusal(place(ex, 2, 1, SELL, 3, 100)) is Reason.RISK_INSUFFICIENT_FUNDS
    assert ex.state_hash() == before
    assert ex.matching.depth(SYM) == ([], [])
    assert place(ex, 1, 1, SELL, 2, 100)[0].reason is BalanceReason.ORDER_HOLD  # the id was not used up


def test_filter_refusals_come_before_the_funds_check() -> None:
    ex = exchange()
    assert refusal(place(ex, 1, 1, BUY, 0, 100)) is Reason.FILTER_LOT_SIZE
    assert refusal(place(ex, 1, 1, BUY, 1, None, type=LIMIT)) is Reason.FILTER_BAD_PARAMS
    assert refusal(place(ex, 1, 1, BUY, 1, 100)) is Reason.RISK_INSUFFICIENT_FUNDS


def test_trade_moves_held_funds_to_the_counterparty() -> None:
    ex = funded()
    place(ex, 1, 1, SELL, 2, 100)
    ev = place(ex, 2, 2, BUY, 2, 100)
    assert ex.balance(1, "BTC") == (10**8 - 2 * LOT, 0)
    assert ex.balance(1, "USD") == (10**9 + 200 * UNIT, 0)
    assert ex.balance(2, "BTC") == (10**8 + 2 * LOT, 0)
    assert ex.balance(2, "USD") == (10**9 - 200 * UNIT, 0)
    seq = next(e.seq for e in ev if isinstance(e, TradeEvent))
    assert {e.trade_seq for e in ev if isinstance(e, BalanceEvent) and e.reason is BalanceReason.TRADE} == {
        seq
    }


def test_a_buy_filled_at_a_better_price_gets_the_difference_released() -> None:
    ex = funded()
    place(ex, 1, 1, SELL, 2, 95)
    ev = place(ex, 2, 2, BUY, 3, 100)  # 2 fill at 95, 1 rests at 100
    assert (2, "USD", 10 * UNIT, -10 * UNIT, "ORDER_RELEASE") in balance_events(ev)
    assert ex.balance(2, "USD") == (10**9 - 190 * UNIT - 100 * UNIT, 100 * UNIT)
    assert ex.matching.depth(SYM) == ([(100, 1)], [])


def test_fees_are_charged_on_the_asset_received_rounded_up_to_the_fee_owner() -> None:
    ex = funded(maker="0.001", taker="0.0025")
    place(ex, 1, 1, SELL, 3, 101)  # maker sells 3 lots at 1.01: receives 303_000 quote atoms
    ev = place(ex, 2, 2, BUY, 3, 101)  # taker receives 300_000 base atoms
    fees = [
        (e.owner, e.asset, e.delta_free)
        for e in ev
        if isinstance(e, BalanceEvent) and e.reason is BalanceReason.FEE
    ]
    assert fees == [(2, "BTC", -750), (FEE, "BTC", 750), (1, "USD", -303), (FEE, "USD", 303)]
    assert ex.balance(2, "BTC") == (10**8 + 3 * LOT - 750, 0)
    ex2 = funded(taker="0.0001")
    place(ex2, 1, 1, SELL, 1, 1)  # 1 lot at 0.01: 1_000 quote atoms
    place(ex2, 2, 3, BUY, 1, 1)  # the taker receives 100_000 base atoms: fee 10
    assert ex2.balance(FEE, "BTC") == (10, 0)
    place(ex2, 3, 3, BUY, 1, 1)
    place(ex2, 4, 1, SELL, 1, 1)  # the taker receives 1_000 quote atoms: 0.1 atom of fee rounds up to 1
    assert ex2.balance(FEE, "USD") == (1, 0)


def test_market_buy_by_qty_holds_the_exact_cost_of_walking_the_book_with_stp() -> None:
    ex = funded()
    place(ex, 1, 1, SELL, 1, 100)
    place(ex, 2, 2, SELL, 5, 100)  # own order of the taker: skipped by EXPIRE_MAKER
    place(ex, 3, 1, SELL, 2, 110)
    ev = place(ex, 4, 2, BUY, 3, None, stp=STP.EXPIRE_MAKER)
    assert balance_events(ev)[0] == (2, "USD", -(100 + 220) * UNIT, (100 + 220) * UNIT, "ORDER_HOLD")
    assert ex.balance(2, "USD") == (10**9 - 320 * UNIT, 0)
    assert ex.matching.depth(SYM) == ([], [])


def test_market_buy_by_qty_that_cannot_afford_the_walk_is_refused() -> None:
    ex = funded(usd=150 * UNIT)
    place(ex, 1, 1, SELL, 2, 100)
    assert refusal(place(ex, 2, 2, BUY, 2, None)) is Reason.RISK_INSUFFICIENT_FUNDS
    ev = place(ex, 3, 2, BUY, 1, None)
    assert [e.status for e in ev if isinstance(e, OrderEvent) and e.order_id == 3] == [FILLED]


def test_market_buy_by_quote_releases_the_unspent_budget() -> None:
    ex = funded()
    place(ex, 1, 1, SELL, 2, 100)
    ev = place(ex, 2, 2, BUY, None, quote_qty=250)
    assert balance_events(ev)[0] == (2, "USD", -250 * UNIT, 250 * UNIT, "ORDER_HOLD")
    assert balance_events(ev)[-1] == (2, "USD", 50 * UNIT, -50 * UNIT, "ORDER_RELEASE")
    assert ex.balance(2, "USD") == (10**9 - 200 * UNIT, 0)


def test_market_sell_by_quote_holds_the_lots_it_will_sell() -> None:
    ex = funded()
    place(ex, 1, 1, BUY, 5, 100)
    ev = place(ex, 2, 2, SELL, None, quote_qty=250)  # sells 2 lots
    assert balance_events(ev)[0] == (2, "BTC", -2 * LOT, 2 * LOT, "ORDER_HOLD")
    assert ex.balance(2, "BTC") == (10**8 - 2 * LOT, 0)


def test_an_order_that_ends_at_once_holds_and_releases_the_same_amount() -> None:
    ex = funded()
    ev = place(ex, 1, 1, BUY, 3, 100, tif=IOC)
    assert [(e.status, e.reason) for e in ev if isinstance(e, OrderEvent)] == [
        (EXPIRED, Reason.MATCHING_NO_LIQUIDITY)
    ]
    assert balance_events(ev) == [
        (1, "USD", -300 * UNIT, 300 * UNIT, "ORDER_HOLD"),
        (1, "USD", 300 * UNIT, -300 * UNIT, "ORDER_RELEASE"),
    ]
    assert ex.balance(1, "USD") == (10**9, 0)


def test_amend_releases_the_part_it_removes_and_stops_keep_their_hold() -> None:
    ex = funded()
    place(ex, 1, 1, BUY, 5, 100)
    assert balance_events(ex.amend(1, SYM, 2)) == [(1, "USD", 300 * UNIT, -300 * UNIT, "ORDER_RELEASE")]
    place(ex, 2, 2, SELL, 4, 90, type=STOP_LOSS, stop_price=95)
    assert ex.balance(2, "BTC") == (10**8 - 4 * LOT, 4 * LOT)
    ex.validate()


def test_self_trade_settles_within_one_account() -> None:
    ex = funded()
    place(ex, 1, 1, SELL, 2, 100)
    place(ex, 2, 1, BUY, 2, 100)
    assert ex.balance(1, "USD") == (10**9, 0) and ex.balance(1, "BTC") == (10**8, 0)


def test_deposit_adjust_withdrawal_and_their_refusals() -> None:
    ex = exchange()
    assert balance_events(ex.deposit(1, "USD", 500, ref="op1")) == [(1, "USD", 500, 0, "DEPOSIT")]
    assert refusal(ex.withdrawal_hold(7, 1, "USD", 501)) is Reason.RISK_INSUFFICIENT_FUNDS
    assert refusal(ex.deposit(1, "USD", 0)) is Reason.RISK_BAD_AMOUNT
    assert refusal(ex.adjust(1, "USD", 0)) is Reason.RISK_BAD_AMOUNT
    assert refusal(ex.adjust(1, "USD", -501)) is Reason.RISK_INSUFFICIENT_FUNDS
    assert balance_events(ex.adjust(1, "USD", -100, ref="fix")) == [(1, "USD", -100, 0, "ADJUSTMENT")]
    ev = ex.withdrawal_hold(7, 1, "USD", 400) + ex.withdrawal_complete(7)
    assert balance_events(ev) == [(1, "USD", -400, 400, "WITHDRAWAL_HOLD"), (1, "USD", 0, -400, "WITHDRAWAL")]
    assert [e.withdrawal_id for e in ev] == [7, 7]
    assert ex.balance(1, "USD") == (0, 0)
    place(ex, 1, 1, BUY, 1, 100)  # refused: nothing to hold with
    ex.deposit(1, "USD", 100 * UNIT)
    place(ex, 2, 1, BUY, 1, 100)
    assert refusal(ex.withdrawal_hold(8, 1, "USD", 1)) is Reason.RISK_INSUFFICIENT_FUNDS  # locked is not free
    ex.validate()


def test_conservation_check_notices_a_balance_changed_behind_its_back() -> None:
    ex = funded()
    ex.validate()
    ex._balances[(1, "USD")][0] += 1
    with pytest.raises(AssertionError, match="external flow"):
        ex.validate()


def test_balance_events_replayed_from_zero_give_the_balances() -> None:
    ex = funded(maker="0.001", taker="0.002")
    ledger: list[Any] = []
    for owner in (1, 2, 3):
        for asset in ("USD", "BTC"):
            ledger.append(BalanceEvent(owner, asset, ex.balance(owner, asset)[0], 0, BalanceReason.DEPOSIT))
    cmds = [
        (1, 1, SELL, 5, 100),
        (2, 2, BUY, 3, 101),
        (3, 3, BUY, 4, 100),
        (4, 1, SELL, 9, 99),
        (5, 2, BUY, 2, 90),
    ]
    for oid, owner, side, qty, price in cmds:
        ledger += place(ex, oid, owner, side, qty, price)
    assert ex.matching.order(5) is not None
    ledger += ex.cancel_all(3, SYM) + ex.amend(5, SYM, 1)
    sums: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for e in ledger:
        if isinstance(e, BalanceEvent):
            sums[(e.owner, e.asset)][0] += e.delta_free
            sums[(e.owner, e.asset)][1] += e.delta_locked
    assert {k: tuple(v) for k, v in sums.items() if v != [0, 0]} == {
        k: v for k, v in ex.balances().items() if v != (0, 0)
    }
    ex.validate()


def test_restore_rebuilds_an_identical_exchange() -> None:
    ex = funded(maker="0.001", taker="0.002")
    for oid, owner, side, qty, price in [
        (1, 1, SELL, 5, 100),
        (2, 2, BUY, 3, 101),
        (3, 3, BUY, 4, 99),
        (4, 1, SELL, 2, 105),
    ]:
        place(ex, oid, owner, side, qty, price)
    place(ex, 5, 2, SELL, 1, 90, type=STOP_LOSS, stop_price=95)
    new = exchange(maker="0.001", taker="0.002")
    new.restore_market(SYM, seq=ex.seq(SYM), last_price=ex.last_price(SYM))
    for (owner, asset), (free, locked) in ex.balances().items():
        new.restore_balance(owner, asset, free, locked)
    for v in ex.open_orders():
        new.restore_order(order_id=v.order_id, owner=v.owner, symbol=v.symbol, side=v.side, type=v.type, qty=v.qty,
                          filled=v.filled, remaining=v.remaining, price=v.price, priority=v.priority,
                          stop_price=v.stop_price, tif=v.tif, stp=v.stp, triggered=v.triggered)  # fmt: skip
    assert new.check_invariants() == []
    new.validate()
    assert new.state_hash() == ex.state_hash()
    for x in (ex, new):
        place(x, 6, 3, SELL, 9, 95)
    assert new.state_hash() == ex.state_hash()


def test_a_fee_change_applies_to_new_trades_and_keeps_the_state_hash_recoverable() -> None:
    ex = funded()
    place(ex, 1, 1, SELL, 2, 100)
    ex.update_instrument(spec(base="BTC", quote="USD", maker_fee=Decimal("0.01"), taker_fee=Decimal("0.02")))
    fresh = exchange(maker="0.01", taker="0.02")
    assert ex.matching.state_hash() != fresh.matching.state_hash()  # different books...
    place(ex, 2, 2, BUY, 1, 100)  # ...and the new rates apply: taker pays 2% of 100_000 base atoms
    assert ex.balance(FEE, "BTC") == (2_000, 0)
    with pytest.raises(ValueError):
        ex.update_instrument(spec(tick="0.1", base="BTC", quote="USD"))
    rebuilt = exchange(maker="0.01", taker="0.02")
    rebuilt.restore_market(SYM, seq=ex.seq(SYM), last_price=ex.last_price(SYM))
    for (owner, asset), (free, locked) in ex.balances().items():
        rebuilt.restore_balance(owner, asset, free, locked)
    v = ex.open_orders()[0]
    rebuilt.restore_order(order_id=v.order_id, owner=v.owner, symbol=v.symbol, side=v.side, type=v.type, qty=v.qty,
                          filled=v.filled, remaining=v.remaining, price=v.price, priority=v.priority)  # fmt: skip
    assert rebuilt.state_hash() == ex.state_hash()
