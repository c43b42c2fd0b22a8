"""The staff audit trail: one `StaffAction` row per staff action (who, when, what, why, outcome).

Every staff action path calls `record_staff_action` (trading.staff for halt, resume, cancel-only and
force-cancel; accounts.services.balance_adjust for adjustments; accounts.withdrawals for withdrawal
approve and reject), usually through `staff_audited`,
which runs the action and records how it ended.

Consistency. The engine is the single writer of orders and balances, and its transaction is its
own: the web side cannot write into it. So the record is written right AFTER the engine answered,
in its own small transaction, with the outcome: DONE (the reply means committed), REFUSED (the
engine refused, or could not take the command: nothing changed) or UNKNOWN (no reply in time: the
action may or may not have happened; staff look before repeating). The one gap is a web process
dying between the engine's reply and this INSERT: the action happened without its row. For balance
adjustments the engine's own ledger entry carries the staff member (`LedgerEntry.created_by`) in
the same transaction as the change, so no adjustment is ever untraceable; a status change or a
force-cancel in that gap shows in the order's reason (`STAFF_CANCELED`) or the instrument's status,
without its who and why. Writing the row first (as PENDING) and updating it would close the gap at
the price of an audit row that changes; we keep rows insert-only.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models

from accounts.models import StaffAction, StaffActionKind, StaffActionOutcome, User
from quantx_site.errors import ApiError, ErrorCode


def record_staff_action(
    *,
    actor: User,
    action: StaffActionKind | str,
    target: models.Model,
    reason: str = "",
    details: dict[str, Any] | None = None,
    outcome: StaffActionOutcome | str = StaffActionOutcome.DONE,
) -> StaffAction:
    """Inserts one audit row: `actor` did `action` to `target` because `reason`, with `details`
    (JSON-able) and its `outcome`."""
    return StaffAction.objects.create(
        actor=actor,
        action=action,
        target_type=f"{target._meta.app_label}.{target._meta.model_name}",
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        reason=reason,
        details=details or {},
        outcome=outcome,
    )


@contextmanager
def staff_audited(
    *,
    actor: User,
    action: StaffActionKind | str,
    target: models.Model,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """Runs the `with` block (the action, through the engine) and records it after it ended: DONE if
    it returned, UNKNOWN if the engine did not answer (-1007), REFUSED for any other exception, which
    is re-raised. The block may add to the yielded details (what the engine answered)."""
    extra: dict[str, Any] = dict(details or {})
    try:
        yield extra
    except ApiError as exc:
        unknown = exc.error_code == ErrorCode.STATUS_UNKNOWN
        outcome = StaffActionOutcome.UNKNOWN if unknown else StaffActionOutcome.REFUSED
        record_staff_action(actor=actor, action=action, target=target, reason=reason,
                            details={**extra, "error": exc.msg}, outcome=outcome)  # fmt: skip
        raise
    except Exception as exc:
        record_staff_action(actor=actor, action=action, target=target, reason=reason,
                            details={**extra, "error": str(exc)}, outcome=StaffActionOutcome.REFUSED)  # fmt: skip
        raise
    record_staff_action(actor=actor, action=action, target=target, reason=reason, details=extra)
