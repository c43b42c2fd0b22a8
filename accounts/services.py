"""Writes of accounts data.

Balance changes go through `balance_adjust`, which writes the balance row and its ledger entry in
one transaction. Once the engine worker exists it is the only caller (ARCHITECTURE decision 1).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from accounts.models import Asset, Balance, LedgerEntry, LedgerReason, User


class InsufficientFunds(Exception):
    """The change would make a free balance negative; nothing was written."""


class OperationConflict(Exception):
    """The operation id was used before for a different change; nothing was written."""


ADJUSTMENT_REASONS = (LedgerReason.DEPOSIT, LedgerReason.WITHDRAWAL, LedgerReason.ADJUSTMENT)


@dataclass(frozen=True)
class AdjustResult:
    entry: LedgerEntry
    created: bool


def balance_adjust(
    *,
    user: User,
    asset: Asset,
    amount: Decimal,
    reason: str,
    operation_id: str,
    note: str = "",
    created_by: User | None = None,
) -> AdjustResult:
    """Credits (amount > 0) or debits (amount < 0) the user's free balance with one ledger entry.

    Idempotent on `operation_id`: the same id with the same change returns the first entry
    (created=False); with a different change it raises OperationConflict. A debit larger than the
    free balance raises InsufficientFunds. Either way nothing else is written.
    """
    if reason not in ADJUSTMENT_REASONS:
        raise ValueError(f"{reason} is not a deposit, withdrawal or adjustment")
    if amount == 0:
        raise ValueError("amount must not be zero")
    if not operation_id:
        raise ValueError("operation_id is required")
    existing = _existing_operation(user=user, asset=asset, operation_id=operation_id)
    if existing is not None:
        return _replayed(existing, amount=amount, reason=reason)
    try:
        with transaction.atomic():
            balance, _ = Balance.objects.select_for_update().get_or_create(user=user, asset=asset)
            if balance.free + amount < 0:
                raise InsufficientFunds(f"{user} has {balance.free} {asset} free, cannot debit {-amount}")
            balance.free += amount
            balance.save(update_fields=["free", "updated_at"])
            entry = LedgerEntry.objects.create(
                user=user,
                asset=asset,
                delta_free=amount,
                delta_locked=Decimal(0),
                reason=reason,
                operation_id=operation_id,
                note=note,
                created_by=created_by,
            )
    except IntegrityError:
        # A concurrent request with the same operation id committed first.
        existing = _existing_operation(user=user, asset=asset, operation_id=operation_id)
        if existing is None:
            raise
        return _replayed(existing, amount=amount, reason=reason)
    return AdjustResult(entry=entry, created=True)


def _existing_operation(*, user: User, asset: Asset, operation_id: str) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(user=user, asset=asset, operation_id=operation_id).first()


def _replayed(entry: LedgerEntry, *, amount: Decimal, reason: str) -> AdjustResult:
    if entry.delta_free != amount or entry.reason != reason:
        raise OperationConflict(f"operation {entry.operation_id} was already used for another change")
    return AdjustResult(entry=entry, created=False)
