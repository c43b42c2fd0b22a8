"""The worker's in-memory withdrawals: the record of one, and the book of those it must know.

Data only (the bottom of the worker's layers, beside `records`); the handlers are in
engine.worker.withdrawals.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from accounts.money import plain_decimal


@dataclass(slots=True)
class WithdrawalRecord:
    """A withdrawal as the worker knows it; becomes a `Withdrawal` row (engine.worker.persistence)."""

    id: int
    user_id: int
    asset_id: int
    asset: str
    client_withdrawal_id: str
    amount: Decimal
    fee: Decimal
    address: str
    status: str
    reason: str
    decided_by_id: int | None
    created_at: datetime | None  # None after recovery until a reply needs it
    updated_at: datetime | None

    def row(self) -> tuple[Any, ...]:
        """The withdrawal as a row of engine.worker.persistence.WITHDRAWALS (upserted by id)."""
        return (self.id, self.user_id, self.asset_id, self.client_withdrawal_id, self.amount, self.fee,
                self.address, self.status, self.reason, self.decided_by_id, self.created_at,
                self.updated_at)  # fmt: skip

    def as_reply(self) -> dict[str, Any]:
        """The WITHDRAWAL dict of docs/engine-worker.md (decimals as strings, times ISO 8601)."""
        if self.created_at is None or self.updated_at is None:
            from accounts.models import Withdrawal  # a recovered record: its times are in the database

            self.created_at, self.updated_at = Withdrawal.objects.values_list("created_at", "updated_at").get(
                pk=self.id
            )
        return withdrawal_reply(self, self.asset)


def withdrawal_reply(w: Any, asset: str) -> dict[str, Any]:
    """The WITHDRAWAL dict from a record or a `Withdrawal` row."""
    return {
        "id": w.id,
        "client_withdrawal_id": w.client_withdrawal_id,
        "asset": asset,
        "amount": plain_decimal(w.amount),
        "fee": plain_decimal(w.fee),
        "address": w.address,
        "status": w.status,
        "reason": w.reason,
        "created_at": w.created_at.isoformat(),
        "updated_at": w.updated_at.isoformat(),
    }


@dataclass
class WithdrawalBook:
    """The withdrawals the worker answers for from memory.

    `pending` holds every PENDING withdrawal (recovered at start). A withdrawal closed by a batch that
    is not committed yet stays in `uncommitted` (the database cannot answer for it) until the
    pipeline reports the batch committed. `ids` maps (user id, client withdrawal id) of both; older
    ones are found in the database by the batch's lookup.
    """

    next_id: int = 1
    pending: dict[int, WithdrawalRecord] = field(default_factory=dict)
    uncommitted: dict[int, WithdrawalRecord] = field(default_factory=dict)
    ids: dict[tuple[int, str], int] = field(default_factory=dict)

    def find(self, key: tuple[int, str]) -> WithdrawalRecord | None:
        wid = self.ids.get(key)
        if wid is None:
            return None
        return self.pending.get(wid) or self.uncommitted.get(wid)
