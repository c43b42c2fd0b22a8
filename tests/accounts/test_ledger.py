"""Balances change only through the engine, with a ledger entry each; the entries sum to the balance."""

from decimal import Decimal

import pytest

from accounts.models import Balance, LedgerEntry
from accounts.selectors import ledger_mismatches
from accounts.services import BalanceChangeRefused, InsufficientFunds, OperationConflict, balance_adjust
from tests.factories import make_asset, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def change(user, amount, op, reason="DEPOSIT", code="USD", **extra):
    return balance_adjust(
        user=user, asset=make_asset(code), amount=Decimal(amount), reason=reason, operation_id=op, **extra
    )


def test_deposit_writes_balance_and_one_ledger_entry():
    user = make_user()
    result = change(user, "100.5", "op-1")
    assert result.created
    balance = Balance.objects.get(user=user)
    assert (balance.free, balance.locked) == (Decimal("100.5"), Decimal(0))
    entry = LedgerEntry.objects.get(user=user)
    assert (entry.delta_free, entry.reason, entry.operation_id) == (Decimal("100.5"), "DEPOSIT", "op-1")


def test_same_operation_id_applies_once():
    user = make_user()
    change(user, "10", "op-1")
    again = change(user, "10", "op-1")
    assert not again.created
    assert Balance.objects.get(user=user).free == Decimal("10")
    assert LedgerEntry.objects.filter(user=user).count() == 1


def test_same_operation_id_with_another_amount_is_a_conflict_and_writes_nothing():
    user = make_user()
    change(user, "10", "op-1")
    with pytest.raises(OperationConflict):
        change(user, "11", "op-1")
    assert Balance.objects.get(user=user).free == Decimal("10")
    assert LedgerEntry.objects.count() == 1


def test_a_debit_beyond_free_balance_is_refused_and_writes_nothing():
    user, staff = make_user(), make_user(is_staff=True)
    change(user, "5", "op-1")
    with pytest.raises(InsufficientFunds):
        change(user, "-5.00000001", "op-2", reason="ADJUSTMENT", note="fix", created_by=staff)
    assert Balance.objects.get(user=user).free == Decimal("5")
    assert LedgerEntry.objects.count() == 1


def test_withdrawals_are_not_a_balance_adjustment():
    """Funds leave only as withdrawals (held, then completed: accounts.withdrawals)."""
    with pytest.raises(ValueError):
        change(make_user(), "-5", "op-1", reason="WITHDRAWAL")
    assert not LedgerEntry.objects.exists()


def test_staff_adjustment_records_who_and_why():
    user, staff = make_user(), make_user(is_staff=True)
    change(user, "3", "op-1", reason="ADJUSTMENT", note="goodwill credit", created_by=staff)
    entry = LedgerEntry.objects.get(user=user)
    assert (entry.reason, entry.note, entry.created_by_id) == ("ADJUSTMENT", "goodwill credit", staff.pk)


def test_staff_adjustment_without_a_note_is_refused():
    user, staff = make_user(), make_user(is_staff=True)
    with pytest.raises(BalanceChangeRefused):
        change(user, "3", "op-1", reason="ADJUSTMENT", created_by=staff)
    assert not LedgerEntry.objects.exists()


def test_only_deposit_withdrawal_and_adjustment_are_accepted():
    with pytest.raises(ValueError):
        change(make_user(), "5", "op-1", reason="TRADE")
    assert not LedgerEntry.objects.exists()


def test_an_unknown_user_is_refused():
    ghost = make_user()
    ghost_id = ghost.pk
    ghost.delete()
    ghost.pk = ghost_id
    with pytest.raises(BalanceChangeRefused):
        change(ghost, "1", "op-1")
    assert not LedgerEntry.objects.exists()


def test_ledger_sums_equal_balances_after_many_changes():
    alice, bob = make_user(), make_user()
    for i, amount in enumerate(["1", "0.00000001", "12345678901.12345678"]):
        change(alice, amount, f"a{i}", code="BTC")
        change(bob, amount, f"b{i}", code="BTC")
    change(alice, "-0.5", "a-w", reason="ADJUSTMENT", code="BTC", note="fix", created_by=bob)
    assert ledger_mismatches() == []
    assert ledger_mismatches(user=alice) == []
    assert Balance.objects.get(user=alice).free == Decimal("12345678901.62345679")


def test_a_balance_edited_behind_the_ledger_is_reported():
    alice = make_user()
    change(alice, "3", "op-1")
    Balance.objects.filter(user=alice).update(free=Decimal("4"))
    [mismatch] = ledger_mismatches()
    assert (mismatch.user_id, mismatch.asset, mismatch.free, mismatch.ledger_free) == (
        alice.pk,
        "USD",
        Decimal("4"),
        Decimal("3"),
    )


def test_a_ledger_entry_without_a_balance_row_is_reported():
    alice = make_user()
    LedgerEntry.objects.create(
        user=alice, asset=make_asset("ETH"), delta_free=1, delta_locked=0, reason="DEPOSIT"
    )
    assert [m.asset for m in ledger_mismatches(user=alice)] == ["ETH"]
