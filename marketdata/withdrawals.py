"""The private `withdrawals` stream's reads: its seq, its snapshot and the wire shape of a withdrawal.

The stream tells every status change of the user's withdrawals (PENDING when requested, then
COMPLETED, CANCELED or REJECTED); its frames are built by the worker's hook
(marketdata.withdrawal_stream). It needs no counter of its own: every withdrawal causes exactly one
frame when it is requested and one when it is decided, so a user's seq is the number of their
withdrawals plus the number of those no longer PENDING.
"""

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from accounts.models import User, Withdrawal, WithdrawalStatus
from accounts.money import plain_decimal
from marketdata.candles import datetime_to_ms


def withdrawal_wire(w: Any, *, asset: str | None = None, status: str | None = None,
                    time: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """A withdrawal as the stream shows it (amounts plain, times in ms), from a record or a row."""
    status = status or w.status
    return {
        "withdrawal_id": w.id,
        "client_withdrawal_id": w.client_withdrawal_id,
        "asset": asset or w.asset,
        "amount": plain_decimal(w.amount),
        "fee": plain_decimal(w.fee),
        "address": w.address,
        "status": status,
        "reason": w.reason if status == w.status else "",
        "created_at": datetime_to_ms(w.created_at) if w.created_at is not None else None,
        "time": datetime_to_ms(time or w.updated_at) if (time or w.updated_at) is not None else None,
    }


def withdrawal_stream_seqs(users: set[int]) -> dict[int, int]:
    """Each user's `withdrawals` seq as the database stands: withdrawals + decided withdrawals."""
    seqs: dict[int, int] = defaultdict(int)
    rows = (
        Withdrawal.objects.filter(user_id__in=users)
        .values("user_id")
        .annotate(n=Count("id"), decided=Count("id", filter=~Q(status=WithdrawalStatus.PENDING)))
    )
    for row in rows:
        seqs[row["user_id"]] = row["n"] + row["decided"]
    return seqs


def withdrawals_snapshot(*, user: User) -> tuple[int, list[dict[str, Any]]]:
    """The user's PENDING withdrawals (oldest first) and the `withdrawals` seq they include (read first)."""
    seq = withdrawal_stream_seqs({user.pk})[user.pk]
    pending = Withdrawal.objects.filter(user=user, status=WithdrawalStatus.PENDING).select_related("asset")
    return seq, [withdrawal_wire(w, asset=w.asset.code) for w in pending.order_by("id")]
