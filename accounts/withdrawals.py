"""Withdrawals (simulated): request, cancel, staff approve or reject; and their reads.

A request holds the amount at once (free -> locked) and creates the withdrawal PENDING; staff
approve it (COMPLETED: the amount less the asset's withdrawal fee leaves, the fee goes to the fee
account that collects trading fees) or reject it with a reason (hold released); the user may cancel
it while PENDING (hold released). Every change goes through the engine (the single writer:
engine.worker.withdrawals), which also answers a `client_withdrawal_id` used before with the
original withdrawal, so a retried request moves nothing, even when the two race.
"""

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone
from rest_framework import status

from accounts.audit import staff_audited
from accounts.models import Asset, StaffActionKind, User, Withdrawal, WithdrawalStatus
from accounts.money import plain_decimal
from engine.client.errors import engine_refusal_error, engine_send
from engine.client.protocol import (
    OP_WITHDRAWAL_APPROVE,
    OP_WITHDRAWAL_CANCEL,
    OP_WITHDRAWAL_REJECT,
    OP_WITHDRAWAL_REQUEST,
    Reply,
)
from quantx_site.errors import ApiError, ErrorCode
from quantx_site.pagination import MAX_ID

WithdrawalData = Withdrawal | Mapping[str, Any]
"""A `Withdrawal` row (annotated with `asset_code`) or the engine's WITHDRAWAL dict (with
`asset_code` added): the same field names, serialized alike (accounts.api_withdrawals)."""

NOT_PENDING = "WITHDRAWAL_NOT_PENDING"
"""Reason of a cancel, approve or reject of a withdrawal that is no longer PENDING."""
FILTER_MIN = "FILTER_WITHDRAWAL_MIN"
FILTER_FEE = "FILTER_WITHDRAWAL_FEE"
FILTER_MAX = "FILTER_WITHDRAWAL_MAX"
DISABLED = "WITHDRAWALS_DISABLED"
"""Reason of a request for an asset whose withdrawals staff suspended (`Asset.withdrawals_enabled`)."""
_UNKNOWN = "WORKER_UNKNOWN_WITHDRAWAL"
ADDRESS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,36}")


@dataclass(frozen=True)
class RequestedWithdrawal:
    withdrawal: WithdrawalData
    duplicate: bool
    """True when the client withdrawal id was used before: the original, nothing moved."""


class WithdrawalDecisionRefused(Exception):
    """Staff tried to decide a withdrawal that is not PENDING (or does not exist); nothing changed."""


# ---------------------------------------------------------------------------- user actions


def withdrawal_request(
    *, user: User, asset_code: str, amount: Decimal, address: str, client_withdrawal_id: str | None = None
) -> RequestedWithdrawal:
    """Holds `amount` of the user's free `asset_code` and creates a PENDING withdrawal.

    A `client_withdrawal_id` used before returns the original (duplicate=True), whatever the rest of
    the request says: the engine answers that; when a check here refuses the request the id is
    looked up first, so a retry still gets its original. Checks: the asset exists (-1100), its
    withdrawals are not suspended (-2010 WITHDRAWALS_DISABLED), the amount has at most the asset's
    decimals (-1111), is at least the asset's minimum (-1013 FILTER_WITHDRAWAL_MIN), at most its
    maximum (-1013 FILTER_WITHDRAWAL_MAX) and above its fee (-1013 FILTER_WITHDRAWAL_FEE); the engine refuses an
    amount over the free balance (400 -2010 RISK_INSUFFICIENT_FUNDS). Nothing moves when refused.
    """
    generated = client_withdrawal_id is None
    client_id = uuid.uuid4().hex if client_withdrawal_id is None else client_withdrawal_id
    try:
        asset = _checked(asset_code=asset_code, amount=amount, address=address)
    except ApiError:
        original = None if generated else _find(user=user, client_withdrawal_id=client_id)
        if original is None:
            raise
        return RequestedWithdrawal(original, duplicate=True)
    reply = engine_send(
        {
            "op": OP_WITHDRAWAL_REQUEST,
            "user_id": user.pk,
            "asset": asset.code,
            "amount": plain_decimal(amount),
            "fee": plain_decimal(asset.withdrawal_fee),
            "address": address,
            "client_withdrawal_id": client_id,
            "client_withdrawal_id_generated": generated,
        },
        unknown_msg="Withdrawal status unknown: the engine did not answer in time. Look it up by "
        "client_withdrawal_id, or send the same request again with the same client_withdrawal_id.",
        client_withdrawal_id=client_id,
    )
    if not reply.get("ok"):
        raise engine_refusal_error(
            reply, default=ErrorCode.NEW_ORDER_REJECTED, client_withdrawal_id=client_id
        )
    return RequestedWithdrawal(_from_reply(reply), duplicate=bool(reply.get("duplicate")))


def withdrawal_cancel(*, user: User, withdrawal_id: int) -> WithdrawalData:
    """Cancels one of the user's PENDING withdrawals (hold released); returns it (CANCELED).

    Not the user's, or none: 404 -1125. No longer PENDING: 400 -2011, reason WITHDRAWAL_NOT_PENDING.
    The engine knows every pending withdrawal's owner; the database is read only to word a refusal.
    """
    _id_check(withdrawal_id)
    reply = engine_send(
        {"op": OP_WITHDRAWAL_CANCEL, "user_id": user.pk, "withdrawal_id": withdrawal_id},
        unknown_msg="Cancel status unknown: the engine did not answer in time. Look the withdrawal up.",
        withdrawal_id=withdrawal_id,
    )
    if not reply.get("ok"):
        if reply.get("reason") == _UNKNOWN:
            row = withdrawal_get(user=user, withdrawal_id=withdrawal_id)  # 404 if not the user's
            raise _not_pending(row, code=ErrorCode.CANCEL_REJECTED)
        raise engine_refusal_error(reply, default=ErrorCode.CANCEL_REJECTED, withdrawal_id=withdrawal_id)
    return _from_reply(reply)


# ---------------------------------------------------------------------------- staff decisions


def withdrawal_approve(*, staff_user: User, withdrawal_id: int) -> WithdrawalData:
    """Completes a PENDING withdrawal: the held amount leaves (less its fee, to the fee account).

    WithdrawalDecisionRefused if it is not PENDING; ApiError (503) if the engine did not answer.
    """
    return _decide_audited(
        {"op": OP_WITHDRAWAL_APPROVE, "withdrawal_id": withdrawal_id, "staff_id": staff_user.pk},
        staff_user=staff_user,
        action=StaffActionKind.WITHDRAWAL_APPROVE,
        reason="",
    )


def withdrawal_reject(*, staff_user: User, withdrawal_id: int, reason: str) -> WithdrawalData:
    """Rejects a PENDING withdrawal with a reason (1-200 characters, shown to the user): the hold is
    released. WithdrawalDecisionRefused if it is not PENDING or the reason is empty."""
    reason = reason.strip()
    if not 1 <= len(reason) <= 200:
        raise WithdrawalDecisionRefused("A rejection needs a reason (1 to 200 characters).")
    return _decide_audited(
        {
            "op": OP_WITHDRAWAL_REJECT,
            "withdrawal_id": withdrawal_id,
            "staff_id": staff_user.pk,
            "reason": reason,
        },
        staff_user=staff_user,
        action=StaffActionKind.WITHDRAWAL_REJECT,
        reason=reason,
    )


def withdrawal_auto_complete(*, withdrawal_id: int) -> WithdrawalData:
    """The embedded demo's automatic approval (QX_WITHDRAWAL_AUTO_COMPLETE_SECONDS): no staff user."""
    return _decide({"op": OP_WITHDRAWAL_APPROVE, "withdrawal_id": withdrawal_id}, withdrawal_id=withdrawal_id)


def _decide_audited(
    command: dict[str, Any], *, staff_user: User, action: StaffActionKind, reason: str
) -> WithdrawalData:
    """A staff decision, recorded in the staff audit trail (accounts.audit) after the engine answered."""
    withdrawal_id = command["withdrawal_id"]
    target = Withdrawal.objects.filter(pk=withdrawal_id).first()
    if target is None:
        raise WithdrawalDecisionRefused(f"Withdrawal {withdrawal_id} does not exist.")
    details = {"withdrawal_id": withdrawal_id, "user_id": target.user_id, "status_before": target.status,
               "amount": plain_decimal(target.amount), "asset": target.asset_id}  # fmt: skip
    with staff_audited(
        actor=staff_user, action=action, target=target, reason=reason, details=details
    ) as audit:
        decided = _decide(command, withdrawal_id=withdrawal_id)
        audit["status"] = decided["status"] if isinstance(decided, Mapping) else decided.status
    return decided


def _decide(command: dict[str, Any], *, withdrawal_id: int) -> WithdrawalData:
    reply = engine_send(command, unknown_msg="The engine did not answer in time; look the withdrawal up.")
    if not reply.get("ok"):
        if reply.get("reason") == _UNKNOWN:
            row = Withdrawal.objects.filter(pk=withdrawal_id).first()
            state = "does not exist" if row is None else f"is {row.status}"
            raise WithdrawalDecisionRefused(
                f"Withdrawal {withdrawal_id} {state}; only a PENDING one can be decided."
            )
        raise WithdrawalDecisionRefused(str(reply.get("msg") or reply.get("reason")))
    return _from_reply(reply)


# ---------------------------------------------------------------------------- reads


def withdrawal_list(
    *, user: User, asset: str | None = None, status_filter: str | None = None
) -> QuerySet[Withdrawal]:
    """The user's withdrawals, newest first; optionally of one asset code (unknown: 400 -1100) and
    one status."""
    rows = Withdrawal.objects.filter(user=user).annotate(asset_code=F("asset__code"))
    if asset is not None:
        if not Asset.objects.filter(code=asset).exists():
            raise ApiError(ErrorCode.ILLEGAL_PARAMETER, f"asset: Unknown asset {asset!r}.", field="asset")
        rows = rows.filter(asset__code=asset)
    if status_filter is not None:
        rows = rows.filter(status=status_filter)
    return rows.order_by("-id")


def withdrawal_get(*, user: User, withdrawal_id: int) -> Withdrawal:
    """One of the user's withdrawals, or 404 -1125 (another user's is, for you, missing)."""
    _id_check(withdrawal_id)
    row = withdrawal_list(user=user).filter(pk=withdrawal_id).first()
    if row is None:
        raise _no_such_withdrawal()
    return row


def withdrawal_pending_older_than(*, seconds: float) -> list[int]:
    """Ids of PENDING withdrawals requested more than `seconds` ago (the demo's auto-completion)."""
    cutoff = timezone.now() - timedelta(seconds=seconds)
    pending = Withdrawal.objects.filter(status=WithdrawalStatus.PENDING, created_at__lte=cutoff)
    return list(pending.order_by("id").values_list("id", flat=True))


# ---------------------------------------------------------------------------- helpers


def _checked(*, asset_code: str, amount: Decimal, address: str) -> Asset:
    asset = Asset.objects.filter(code=asset_code).first()
    if asset is None:
        raise ApiError(ErrorCode.ILLEGAL_PARAMETER, f"asset: Unknown asset {asset_code!r}.", field="asset")
    if not asset.withdrawals_enabled:
        raise ApiError(
            ErrorCode.NEW_ORDER_REJECTED,
            f"Withdrawals of {asset.code} are suspended.",
            field="asset",
            reason=DISABLED,
        )
    if not ADDRESS.fullmatch(address):
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER,
            "address: 1 to 128 characters: letters, digits, '.', '_', ':' and '-', starting with a letter or digit.",
            field="address",
        )
    exponent = amount.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if decimals > asset.display_precision:
        raise ApiError(
            ErrorCode.BAD_PRECISION,
            f"amount: At most {asset.display_precision} decimal places for {asset.code}.",
            field="amount",
        )
    if amount < asset.withdrawal_min:
        raise ApiError(
            ErrorCode.FILTER_FAILURE,
            f"Filter failure: {FILTER_MIN}: the smallest {asset.code} withdrawal is {plain_decimal(asset.withdrawal_min)}.",
            field="amount",
            reason=FILTER_MIN,
        )
    if asset.withdrawal_max is not None and amount > asset.withdrawal_max:
        raise ApiError(
            ErrorCode.FILTER_FAILURE,
            f"Filter failure: {FILTER_MAX}: the largest {asset.code} withdrawal is {plain_decimal(asset.withdrawal_max)}.",
            field="amount",
            reason=FILTER_MAX,
        )
    if amount <= asset.withdrawal_fee:
        raise ApiError(
            ErrorCode.FILTER_FAILURE,
            f"Filter failure: {FILTER_FEE}: the amount must be above the withdrawal fee "
            f"{plain_decimal(asset.withdrawal_fee)} {asset.code}.",
            field="amount",
            reason=FILTER_FEE,
        )
    return asset


def _find(*, user: User, client_withdrawal_id: str) -> Withdrawal | None:
    return withdrawal_list(user=user).filter(client_withdrawal_id=client_withdrawal_id).first()


def _from_reply(reply: Reply) -> dict[str, Any]:
    withdrawal = dict(reply["withdrawal"])
    withdrawal["asset_code"] = withdrawal["asset"]
    return withdrawal


def _id_check(withdrawal_id: int) -> None:
    if not 0 < withdrawal_id <= MAX_ID:
        raise _no_such_withdrawal()


def _no_such_withdrawal() -> ApiError:
    return ApiError(ErrorCode.NOT_FOUND, "Withdrawal does not exist.", status_code=status.HTTP_404_NOT_FOUND)


def _not_pending(row: Withdrawal, *, code: ErrorCode) -> ApiError:
    msg = f"Withdrawal {row.id} is {row.status}; it can no longer change."
    return ApiError(code, msg, reason=NOT_PENDING, withdrawal_id=row.id)
