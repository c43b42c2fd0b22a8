"""Writes of accounts data, carried out by the engine worker (the single writer of balances).

These services build an engine command, wait for the committed reply and turn refusals into
exceptions, so admin views, management commands and APIs never write balances themselves.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accounts.audit import staff_audited
from accounts.models import Asset, LedgerReason, StaffActionKind, User
from engine.client.errors import engine_send


class InsufficientFunds(Exception):
    """The change would make a free balance negative; nothing was written."""


class OperationConflict(Exception):
    """The operation id was used before for a different change; nothing was written."""


class BalanceChangeRefused(Exception):
    """The engine refused the change for another reason (unknown asset or user, bad amount)."""


_OPS = {
    LedgerReason.DEPOSIT: "deposit",
    LedgerReason.ADJUSTMENT: "adjust",
}


@dataclass(frozen=True)
class AdjustResult:
    created: bool
    free: Decimal
    locked: Decimal


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
    """Credits (amount > 0) or debits (amount < 0) a user's free balance, with one ledger entry.

    DEPOSIT credits, ADJUSTMENT is a staff change either way and needs `created_by` and a `note`.
    (Funds leave only as withdrawals, held first and then completed by staff: accounts.withdrawals.)
    Idempotent on `operation_id`: the same id with the same change returns created=False; with
    another change it raises OperationConflict. A debit beyond the free balance raises
    InsufficientFunds. On any refusal nothing is written. A staff adjustment is recorded in the
    staff audit trail (accounts.audit), the note as its reason.
    """
    op = _OPS.get(LedgerReason(reason)) if reason in LedgerReason.values else None
    if op is None:
        raise ValueError(f"{reason} is not a deposit or an adjustment")
    if amount == 0 or (op == "deposit" and amount < 0):
        raise ValueError(f"amount {amount} does not fit {reason}")
    if not operation_id:
        raise ValueError("operation_id is required")
    command = {
        "op": op,
        "user_id": user.pk,
        "asset": asset.code,
        "amount": f"{amount:f}",
        "operation_id": operation_id,
        "note": note,
        "staff_id": created_by.pk if created_by is not None else None,
    }
    if op != "adjust" or created_by is None:
        return _balance_change(command, user=user, asset=asset, amount=amount, operation_id=operation_id)
    details = {"asset": asset.code, "amount": f"{amount:f}", "operation_id": operation_id}
    with staff_audited(
        actor=created_by, action=StaffActionKind.BALANCE_ADJUSTMENT, target=user, reason=note, details=details
    ) as audit:
        result = _balance_change(command, user=user, asset=asset, amount=amount, operation_id=operation_id)
        audit.update(created=result.created, free=f"{result.free:f}", locked=f"{result.locked:f}")
    return result


def _balance_change(
    command: dict[str, Any], *, user: User, asset: Asset, amount: Decimal, operation_id: str
) -> AdjustResult:
    reply = engine_send(
        command, unknown_msg="The engine did not answer in time; submit again (it applies once)."
    )
    if not reply["ok"]:
        reason_code = reply.get("reason")
        if reason_code == "RISK_INSUFFICIENT_FUNDS":
            raise InsufficientFunds(f"{user} has not enough {asset} free for {amount}")
        if reason_code == "WORKER_OPERATION_CONFLICT":
            raise OperationConflict(f"operation {operation_id} was already used for another change")
        raise BalanceChangeRefused(reply.get("msg") or reason_code)
    return AdjustResult(
        created=reply["created"], free=Decimal(reply["free"]), locked=Decimal(reply["locked"])
    )
