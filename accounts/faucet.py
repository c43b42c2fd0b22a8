"""Paper-trading faucet: free test funds, credited by the engine as a deposit.

Capped per call and per UTC day, per asset (settings FAUCET_MAX_PER_CALL / FAUCET_MAX_PER_DAY); the
day's total is read from the ledger (deposits whose operation id starts with "faucet-"), so it
survives restarts and is the same in every web process. Two concurrent calls can both pass the
daily check, so the cap can be overshot by at most one call's amount per concurrent request:
acceptable for play money, and it keeps the engine the only writer.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from rest_framework import status

from accounts.models import Asset, LedgerEntry, LedgerReason, User
from engine.client.errors import engine_refusal_error, engine_send
from engine.client.protocol import OP_DEPOSIT
from quantx_site.errors import ApiError, ErrorCode

OPERATION_PREFIX = "faucet-"
FAUCET_MAX_PER_CALL = "FAUCET_MAX_PER_CALL"
FAUCET_MAX_PER_DAY = "FAUCET_MAX_PER_DAY"


@dataclass(frozen=True)
class FaucetCredit:
    asset: str
    amount: Decimal
    free: Decimal
    locked: Decimal
    credited_today: Decimal
    remaining_today: Decimal


def faucet_credited_today(*, user: User, asset: Asset, now: datetime | None = None) -> Decimal:
    """What the faucet has credited the user in this asset since 00:00 UTC."""
    now = (now or timezone.now()).astimezone(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    total = LedgerEntry.objects.filter(
        user=user,
        asset=asset,
        reason=LedgerReason.DEPOSIT,
        operation_id__startswith=OPERATION_PREFIX,
        created_at__gte=midnight,
    ).aggregate(total=Sum("delta_free"))["total"]
    return total or Decimal(0)


def faucet_credit(*, user: User, asset_code: str, amount: Decimal) -> FaucetCredit:
    """Credits `amount` of `asset_code` to the user through the engine (a DEPOSIT ledger entry).

    403 -1020 when the faucet is disabled; 400 -1100 for an asset it does not offer, or an amount
    over the per-call cap (reason FAUCET_MAX_PER_CALL) or over what is left today (FAUCET_MAX_PER_DAY).
    Nothing is written when refused.
    """
    if not settings.FAUCET_ENABLED:
        raise ApiError(
            ErrorCode.DISABLED,
            "The faucet is disabled on this exchange.",
            status_code=status.HTTP_403_FORBIDDEN,
        )
    per_call = settings.FAUCET_MAX_PER_CALL.get(asset_code)
    per_day = settings.FAUCET_MAX_PER_DAY.get(asset_code)
    asset = Asset.objects.filter(code=asset_code).first()
    if per_call is None or per_day is None or asset is None:
        offered = ", ".join(sorted(settings.FAUCET_MAX_PER_CALL))
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER,
            f"asset: The faucet does not offer {asset_code!r} (it offers {offered}).",
            field="asset",
        )
    if amount > per_call:
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER,
            f"amount: At most {_plain(per_call)} {asset_code} per call.",
            field="amount",
            reason=FAUCET_MAX_PER_CALL,
        )
    before = faucet_credited_today(user=user, asset=asset)
    if before + amount > per_day:
        left = max(per_day - before, Decimal(0))
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER,
            f"amount: At most {_plain(per_day)} {asset_code} per UTC day; {_plain(left)} left today.",
            field="amount",
            reason=FAUCET_MAX_PER_DAY,
        )
    command = {
        "op": OP_DEPOSIT,
        "user_id": user.pk,
        "asset": asset.code,
        "amount": _plain(amount),
        "operation_id": f"{OPERATION_PREFIX}{uuid.uuid4().hex}",
        "note": "faucet",
    }
    reply = engine_send(
        command, unknown_msg="Faucet status unknown: the engine did not answer in time. Check your ledger."
    )
    if not reply.get("ok"):
        raise engine_refusal_error(reply, default=ErrorCode.UNKNOWN)
    credited = before + amount
    return FaucetCredit(
        asset=asset.code,
        amount=amount,
        free=Decimal(reply["free"]),
        locked=Decimal(reply["locked"]),
        credited_today=credited,
        remaining_today=per_day - credited,
    )


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"
