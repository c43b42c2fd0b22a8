"""Reads of accounts data."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum

from accounts.models import Asset, Balance, LedgerEntry, User
from quantx_site.errors import ApiError, ErrorCode
from quantx_site.time_range import time_range_filter


@dataclass(frozen=True)
class LedgerMismatch:
    """A balance row that differs from the sum of its ledger entries."""

    user_id: int
    asset: str
    free: Decimal
    locked: Decimal
    ledger_free: Decimal
    ledger_locked: Decimal


def ledger_mismatches(*, user: User | None = None) -> list[LedgerMismatch]:
    """Every (user, asset) whose Balance differs from the sum of its LedgerEntry rows.

    An empty list proves that each balance is explained by its ledger. Pass `user` to check one
    user only. Sums run in SQL on integer atoms, so they are exact on SQLite and PostgreSQL.
    """
    balances = Balance.objects.all()
    entries = LedgerEntry.objects.all()
    if user is not None:
        balances = balances.filter(user=user)
        entries = entries.filter(user=user)
    zero = Decimal(0)
    sums = {
        (row["user_id"], row["asset__code"]): (row["free"] or zero, row["locked"] or zero)
        for row in entries.values("user_id", "asset__code").annotate(
            free=Sum("delta_free"), locked=Sum("delta_locked")
        )
    }
    rows = {(b.user_id, b.asset.code): (b.free, b.locked) for b in balances.select_related("asset")}
    mismatches = []
    for key in sorted(rows.keys() | sums.keys()):
        free, locked = rows.get(key, (zero, zero))
        ledger_free, ledger_locked = sums.get(key, (zero, zero))
        if (free, locked) != (ledger_free, ledger_locked):
            mismatches.append(LedgerMismatch(key[0], key[1], free, locked, ledger_free, ledger_locked))
    return mismatches


def balance_list(*, user: User) -> QuerySet[Balance]:
    return Balance.objects.filter(user=user).select_related("asset").order_by("asset__code")


def ledger_list(
    *,
    user: User,
    asset: str | None = None,
    reason: str | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> QuerySet[LedgerEntry]:
    """The user's ledger entries, newest first, optionally of one asset code (unknown: 400 -1100),
    one reason, and a time range (ms, both ends inclusive: quantx_site.time_range)."""
    entries = LedgerEntry.objects.filter(user=user).select_related("asset")
    if asset is not None:
        if not Asset.objects.filter(code=asset).exists():
            raise ApiError(ErrorCode.ILLEGAL_PARAMETER, f"asset: Unknown asset {asset!r}.", field="asset")
        entries = entries.filter(asset__code=asset)
    if reason is not None:
        entries = entries.filter(reason=reason)
    entries = time_range_filter(entries, field="created_at", start_ms=start_ms, end_ms=end_ms)
    return entries.order_by("-id")
