"""Withdrawals in the worker: request (hold), cancel or reject (release), approve (complete).

Each handler validates its command, calls the core (engine.core.withdrawals) and records what it
caused into the batch: the ledger entries of its balance events and the withdrawal's new state
(`batch.withdrawals`, upserted by engine.worker.persistence in the batch's transaction).

Client withdrawal ids are deduplicated here, like client order ids: a request whose
(user, client_withdrawal_id) was used before answers the original withdrawal with
`"duplicate": true` and moves nothing, whether the original is pending (in memory), closed by a
batch not yet committed (in memory, `WithdrawalBook.uncommitted`) or older (the batch's lookup
reads it from the database before the batch runs).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from accounts.models import Asset, Withdrawal, WithdrawalStatus
from accounts.money import MAX_AMOUNT, from_atoms, to_atoms
from engine.client.protocol import (
    OP_WITHDRAWAL_APPROVE,
    OP_WITHDRAWAL_CANCEL,
    OP_WITHDRAWAL_REJECT,
    OP_WITHDRAWAL_REQUEST,
    Reply,
)
from engine.core.events import BalanceEvent, Refused
from engine.worker.commands import CommandRefused, bad, get_decimal, get_int, get_str
from engine.worker.records import LedgerRecord
from engine.worker.state import WorkerState
from engine.worker.withdrawal_records import WithdrawalBook, WithdrawalRecord, withdrawal_reply

UNKNOWN = "WORKER_UNKNOWN_WITHDRAWAL"
"""No PENDING withdrawal of this user with this id (the API reads the row to word the answer)."""
BELOW_FEE = "FILTER_WITHDRAWAL_FEE"
"""The amount does not exceed the fee (the API checks it first, with the asset's minimum)."""

_WORDS = {
    "RISK_INSUFFICIENT_FUNDS": "Insufficient free balance for this withdrawal.",
    "RISK_BAD_AMOUNT": "The amount must be positive.",
    "RISK_BAD_FEE": "The fee must be below the amount.",
    "RISK_UNKNOWN_WITHDRAWAL": "No such pending withdrawal.",
    "RISK_DUPLICATE_WITHDRAWAL": "This withdrawal already holds funds.",
}


def withdrawal_request(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    """Holds `amount` of the user's free `asset` and creates the withdrawal PENDING."""
    user_id = get_int(cmd, "user_id")
    assert user_id is not None
    client_id = get_str(cmd, "client_withdrawal_id")
    if not 1 <= len(client_id) <= 36:
        raise bad("client_withdrawal_id must be 1 to 36 characters")
    book = state.withdrawals
    original = book.find((user_id, client_id))
    if original is not None:
        return {"ok": True, "withdrawal": original.as_reply(), "duplicate": True}
    row = state.lookups.withdrawals.get((user_id, client_id))
    if row is not None:
        return {"ok": True, "withdrawal": withdrawal_reply(row, row.asset.code), "duplicate": True}
    asset = get_str(cmd, "asset")
    amount = get_decimal(cmd, "amount")
    assert amount is not None
    fee = _fee(cmd)
    address = get_str(cmd, "address").strip()
    if not 1 <= len(address) <= 128:
        raise bad("address must be 1 to 128 characters")
    if fee >= amount:
        raise CommandRefused(BELOW_FEE, f"The amount must be above the withdrawal fee {fee.normalize():f}.")
    if asset not in state.assets:  # staff may have added it since the engine started
        state.assets = dict(Asset.objects.values_list("code", "id"))
    if asset not in state.assets:
        raise CommandRefused("WORKER_UNKNOWN_ASSET", f"unknown asset {asset!r}")
    state.require_user(user_id)
    try:
        atoms = to_atoms(amount)
    except ValueError as exc:
        raise bad(str(exc)) from None
    wid = book.next_id
    events = state.ex.withdrawal_hold(wid, user_id, asset, atoms)
    _raise_refused(events)
    book.next_id += 1
    now = state.batch.now
    record = WithdrawalRecord(wid, user_id, state.assets[asset], asset, client_id, from_atoms(atoms),
                              from_atoms(to_atoms(fee)), address, WithdrawalStatus.PENDING.value, "", None,
                              now, now)  # fmt: skip
    book.pending[wid] = record
    book.ids[(user_id, client_id)] = wid
    _record(state, record, events, note=f"withdrawal {wid}")
    return {"ok": True, "withdrawal": record.as_reply(), "duplicate": False}


def withdrawal_cancel(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    """The user cancels one of their PENDING withdrawals: the hold is released."""
    user_id = get_int(cmd, "user_id")
    record = _pending(state, cmd)
    if record.user_id != user_id:
        raise CommandRefused(UNKNOWN, "No such pending withdrawal.")
    return _close(state, record, WithdrawalStatus.CANCELED, reason="", staff_id=None)


def withdrawal_reject(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    """Staff reject a PENDING withdrawal with a reason: the hold is released."""
    staff_id = get_int(cmd, "staff_id")
    reason = get_str(cmd, "reason").strip()
    if not 1 <= len(reason) <= 200:
        raise bad("a rejection needs a reason of 1 to 200 characters")
    record = _pending(state, cmd)
    return _close(state, record, WithdrawalStatus.REJECTED, reason=reason, staff_id=staff_id)


def withdrawal_approve(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    """Staff approve a PENDING withdrawal (`staff_id` None: the demo's auto-completion): COMPLETED,
    the amount less its fee leaves, the fee goes to the fee account."""
    staff_id = get_int(cmd, "staff_id", required=False)
    record = _pending(state, cmd)
    return _close(state, record, WithdrawalStatus.COMPLETED, reason="", staff_id=staff_id)


HANDLERS = {
    OP_WITHDRAWAL_REQUEST: withdrawal_request,
    OP_WITHDRAWAL_CANCEL: withdrawal_cancel,
    OP_WITHDRAWAL_APPROVE: withdrawal_approve,
    OP_WITHDRAWAL_REJECT: withdrawal_reject,
}


# ---------------------------------------------------------------------------- helpers


def _fee(cmd: dict[str, Any]) -> Decimal:
    raw = cmd.get("fee", "0")
    try:
        fee = Decimal(raw) if isinstance(raw, str) else None
    except InvalidOperation:
        fee = None
    if fee is None or not fee.is_finite() or not 0 <= fee <= MAX_AMOUNT:
        raise bad("fee must be a decimal string >= 0")
    return fee


def _pending(state: WorkerState, cmd: dict[str, Any]) -> WithdrawalRecord:
    wid = get_int(cmd, "withdrawal_id")
    record = state.withdrawals.pending.get(wid)  # type: ignore[arg-type]
    if record is None:
        raise CommandRefused(UNKNOWN, "No such pending withdrawal.")
    return record


def _close(state: WorkerState, record: WithdrawalRecord, status: WithdrawalStatus, *, reason: str,
           staff_id: int | None) -> Reply:  # fmt: skip
    if status == WithdrawalStatus.COMPLETED:
        events = state.ex.withdrawal_complete(record.id, to_atoms(record.fee))
    else:
        events = state.ex.withdrawal_release(record.id)
    _raise_refused(events)
    book = state.withdrawals
    del book.pending[record.id]
    book.uncommitted[record.id] = record  # the database answers for it once the batch commits
    record.status = status.value
    record.reason = reason
    record.decided_by_id = staff_id
    record.updated_at = state.batch.now
    note = f"withdrawal {record.id} {status.value.lower()}" + (f": {reason}" if reason else "")
    _record(state, record, events, note=note[:200], staff_id=staff_id)
    return {"ok": True, "withdrawal": record.as_reply()}


def _record(state: WorkerState, record: WithdrawalRecord, events: list[Any], *, note: str,
            staff_id: int | None = None) -> None:  # fmt: skip
    """The withdrawal's new state and one ledger entry per balance event, into the batch."""
    batch = state.batch
    batch.withdrawals[record.id] = record
    for e in events:
        if type(e) is BalanceEvent:
            batch.ledger.append(LedgerRecord(
                e.owner, state.assets[e.asset], e.asset, from_atoms(e.delta_free), from_atoms(e.delta_locked),
                e.reason.value, None, None, "", note, staff_id, e.withdrawal_id,
            ))  # fmt: skip
            batch.balances.add((e.owner, e.asset))
    batch.events.extend(events)


def _raise_refused(events: list[Any]) -> None:
    for e in events:
        if type(e) is Refused:
            reason = e.reason.value
            raise CommandRefused(reason, _WORDS.get(reason, reason))


# ---------------------------------------------------------------------------- batch and recovery


def withdrawals_lookup(state: WorkerState, commands: list[dict[str, Any]]) -> dict[tuple[int, str], Any]:
    """The `Withdrawal` rows of the client ids the batch's requests name and memory does not know."""
    keys = {
        (c.get("user_id"), c.get("client_withdrawal_id"))
        for c in commands
        if c.get("op") == OP_WITHDRAWAL_REQUEST and not c.get("client_withdrawal_id_generated")
    }
    keys = {
        k for k in keys if isinstance(k[0], int) and isinstance(k[1], str) and k not in state.withdrawals.ids
    }
    if not keys:
        return {}
    rows = Withdrawal.objects.filter(
        user_id__in={u for u, _ in keys}, client_withdrawal_id__in={c for _, c in keys}
    ).select_related("asset")
    return {
        (w.user_id, w.client_withdrawal_id): w for w in rows if (w.user_id, w.client_withdrawal_id) in keys
    }


def withdrawals_closed(state: WorkerState) -> list[int]:
    """The ids of the withdrawals the batch just applied closed (to forget once it commits)."""
    return [wid for wid, w in state.batch.withdrawals.items() if w.status != WithdrawalStatus.PENDING]


def withdrawals_forget(state: WorkerState, closed: list[int]) -> None:
    """A batch committed: the database answers for the withdrawals it closed."""
    book = state.withdrawals
    for wid in closed:
        record = book.uncommitted.pop(wid, None)
        if record is not None and book.ids.get((record.user_id, record.client_withdrawal_id)) == wid:
            del book.ids[(record.user_id, record.client_withdrawal_id)]


def withdrawal_holds_restore(exchange: Any) -> None:
    """Recovery: every PENDING withdrawal's hold into a rebuilt core (its balance is restored already)."""
    pending = Withdrawal.objects.filter(status=WithdrawalStatus.PENDING).order_by("id")
    for wid, user_id, asset, amount in pending.values_list("id", "user_id", "asset__code", "amount"):
        exchange.restore_withdrawal_hold(wid, user_id, asset, to_atoms(amount))


def withdrawal_book_load() -> WithdrawalBook:
    """Recovery: the PENDING withdrawals the worker answers for, and the next id to give."""
    book = WithdrawalBook()
    book.next_id = (Withdrawal.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    for w in Withdrawal.objects.filter(status=WithdrawalStatus.PENDING).select_related("asset"):
        book.pending[w.id] = WithdrawalRecord(
            w.id, w.user_id, w.asset_id, w.asset.code, w.client_withdrawal_id, w.amount, w.fee, w.address,
            w.status, w.reason, w.decided_by_id, w.created_at, w.updated_at,
        )  # fmt: skip
        book.ids[(w.user_id, w.client_withdrawal_id)] = w.id
    return book
