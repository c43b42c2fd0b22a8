"""Withdrawals in the core: hold at once, then released or completed (engine/core/withdrawals.py)."""

import pytest

from engine.core import BalanceEvent, Exchange, Reason, RestoreError
from tests.engine.core.helpers import BUY, LIMIT, SYM, refusal, spec

FEE_OWNER = 0


def funded(usd: int = 1_000) -> Exchange:
    ex = Exchange(fee_owner=FEE_OWNER)
    ex.add_instrument(spec(base="BTC", quote="USD"))
    ex.deposit(1, "USD", usd, ref="d1")
    return ex


def moves(events: list) -> list[tuple[int, str, int, int, str, int | None]]:
    return [
        (e.owner, e.asset, e.delta_free, e.delta_locked, str(e.reason), e.withdrawal_id)
        for e in events
        if isinstance(e, BalanceEvent)
    ]


def test_a_hold_moves_free_to_locked_and_keeps_every_invariant() -> None:
    ex = funded()
    assert moves(ex.withdrawal_hold(5, 1, "USD", 300)) == [(1, "USD", -300, 300, "WITHDRAWAL_HOLD", 5)]
    assert ex.balance(1, "USD") == (700, 300)
    assert ex.withdrawal_held(5) == (1, "USD", 300)
    ex.validate()


def test_a_release_gives_the_hold_back() -> None:
    ex = funded()
    ex.withdrawal_hold(5, 1, "USD", 300)
    assert moves(ex.withdrawal_release(5)) == [(1, "USD", 300, -300, "WITHDRAWAL_RELEASE", 5)]
    assert ex.balance(1, "USD") == (1_000, 0)
    assert ex.withdrawal_held(5) is None
    ex.validate()


def test_completion_sends_the_amount_less_the_fee_out_and_the_fee_to_the_fee_account() -> None:
    ex = funded()
    ex.withdrawal_hold(5, 1, "USD", 300)
    assert moves(ex.withdrawal_complete(5, fee=20)) == [
        (1, "USD", 0, -280, "WITHDRAWAL", 5),
        (1, "USD", 0, -20, "FEE", 5),
        (FEE_OWNER, "USD", 20, 0, "FEE", 5),
    ]
    assert ex.balance(1, "USD") == (700, 0)
    assert ex.balance(FEE_OWNER, "USD") == (20, 0)
    ex.validate()  # conservation: 1000 deposited - 280 withdrawn = 700 + 20


def test_a_withdrawal_cannot_overdraw_the_free_balance_nor_use_locked_funds() -> None:
    ex = funded()
    ex.place(1, 1, SYM, BUY, LIMIT, 1, 1)  # holds 1 tick x 1 lot = 1000 quote atoms: everything
    before = ex.state_hash()
    assert refusal(ex.withdrawal_hold(5, 1, "USD", 1)) is Reason.RISK_INSUFFICIENT_FUNDS
    assert ex.state_hash() == before


@pytest.mark.parametrize("atoms", [0, -1, 1.5, True])
def test_a_bad_amount_is_refused(atoms) -> None:
    ex = funded()
    assert refusal(ex.withdrawal_hold(5, 1, "USD", atoms)) is Reason.RISK_BAD_AMOUNT


def test_an_id_that_holds_already_is_refused() -> None:
    ex = funded()
    ex.withdrawal_hold(5, 1, "USD", 300)
    assert refusal(ex.withdrawal_hold(5, 1, "USD", 300)) is Reason.RISK_DUPLICATE_WITHDRAWAL
    assert ex.balance(1, "USD") == (700, 300)


@pytest.mark.parametrize("fee", [-1, 300, 301, 2.0])
def test_a_fee_must_be_below_the_amount(fee) -> None:
    ex = funded()
    ex.withdrawal_hold(5, 1, "USD", 300)
    before = ex.state_hash()
    assert refusal(ex.withdrawal_complete(5, fee)) is Reason.RISK_BAD_FEE
    assert ex.state_hash() == before


def test_an_unknown_or_decided_withdrawal_is_refused() -> None:
    ex = funded()
    assert refusal(ex.withdrawal_release(9)) is Reason.RISK_UNKNOWN_WITHDRAWAL
    ex.withdrawal_hold(5, 1, "USD", 300)
    ex.withdrawal_complete(5)
    assert refusal(ex.withdrawal_complete(5)) is Reason.RISK_UNKNOWN_WITHDRAWAL
    assert refusal(ex.withdrawal_release(5)) is Reason.RISK_UNKNOWN_WITHDRAWAL


def test_recovery_restores_a_pending_hold_with_the_same_state_hash() -> None:
    ex = funded()
    ex.withdrawal_hold(5, 1, "USD", 300)
    again = Exchange(fee_owner=FEE_OWNER)
    again.add_instrument(spec(base="BTC", quote="USD"))
    again.restore_balance(1, "USD", 700, 300)
    assert again.check_invariants() != []  # locked without its hold
    again.restore_withdrawal_hold(5, 1, "USD", 300)
    assert again.check_invariants() == []
    assert again.state_hash() == ex.state_hash()
    with pytest.raises(RestoreError):
        again.restore_withdrawal_hold(5, 1, "USD", 300)


def test_the_state_hash_tells_a_pending_withdrawal_from_a_resting_order() -> None:
    a, b = funded(), funded()
    a.withdrawal_hold(5, 1, "USD", 300)
    b.withdrawal_hold(6, 1, "USD", 300)
    assert a.state_hash() != b.state_hash()
