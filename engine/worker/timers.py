"""The dead-man's switch inside the engine: cancel-after timers and cancel-on-disconnect leases.

Two ways a trader's open orders (waiting stops included) get canceled without a request:

- **cancel after** (`cancel_after`): a countdown per user and scope (one symbol, or "" = every
  symbol). Calling again re-arms it; 0 disarms it. At its deadline the engine cancels the user's
  open orders in scope, reason CANCEL_AFTER.
- **cancel on disconnect** (`cod_open` / `cod_close` / `cod_renew`): each WebSocket that asked for
  it holds a lease that its web process renews (marketdata.deadman). The engine counts the leases
  of each user across every web process. When the last one ends (its socket closed, or its web
  process stopped renewing it: crashed or cut off), a grace period starts; a new lease within the
  grace disarms it, else the user's open orders are canceled, reason CANCEL_ON_DISCONNECT.

The deadlines live here, in the single writer, and are persisted with the batches
(`engine.models.CancelTimer`, upserted in the batch's own transaction: absolute values). A restarted
worker loads them: an armed timer stays armed (one that ran out while the worker was down fires at
start), a disarmed one is not fired. Leases themselves are not persisted, only how many a user had:
after a restart each such user gets one "restored" lease of a full lease time, during which the web
processes' renewals bring the live leases back; if none comes (every socket closed while the worker
was down), the grace starts when it expires.

Time comes from the batch (`Batch.now`), so a batch applied again after a rebuild decides alike.
The worker's clock (`timers_clock`, a task of the pipeline) submits an internal `timers_fire`
command when the next deadline is due; it is applied in a batch like any other command (single
writer, committed before anything is published).

This module does not import the handlers (they register its ops): `timers_fire` is given the
handlers' `apply_events` to record what its cancels caused.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model

from engine.client.protocol import CANCEL_AFTER_MAX_MS, LEASE_ID_MAX, OP_TIMERS_FIRE
from engine.core import OrderStatus
from engine.core.events import OrderEvent
from engine.models import CancelTimer
from engine.worker.commands import bad, get_int, get_str
from engine.worker.persistence import Row, Table

if TYPE_CHECKING:
    from engine.worker.state import WorkerState

log = logging.getLogger("quantx.engine")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RESTORED = "restored"
"""The lease a restarted worker gives each user who had cancel-on-disconnect sockets."""
MAX_RENEW = 100_000
"""Most leases one `cod_renew` may carry."""
CLOCK_POLL_SECONDS = 0.2
"""The clock re-reads the next deadline this often (a deadline armed meanwhile is seen this late at
most; the API's shortest timeout is 1 s)."""
CLOCK_RETRY_SECONDS = 1.0
"""A tick not applied this long after it was submitted (lost with a batch that could not be read)
is submitted again."""

AFTER = CancelTimer.Kind.CANCEL_AFTER.value
COD = CancelTimer.Kind.CANCEL_ON_DISCONNECT.value


class CancelReason(StrEnum):
    """The `reason` of an order the dead-man's switch canceled (Order.reason, execution reports)."""

    CANCEL_AFTER = "CANCEL_AFTER"
    CANCEL_ON_DISCONNECT = "CANCEL_ON_DISCONNECT"


CANCEL_TIMERS = Table(
    CancelTimer,
    ("user_id", "kind", "symbol", "deadline_ms", "timeout_ms", "sockets", "updated_at"),
    conflict=("user_id", "kind", "symbol"),
    update=("deadline_ms", "timeout_ms", "sockets", "updated_at"),
)


def ms_of(moment: datetime) -> int:
    """Milliseconds since the epoch, exactly (no float)."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


@dataclass
class CodUser:
    """One user's cancel-on-disconnect: live leases (id -> expiry, ms) and the pending deadline."""

    leases: dict[str, int] = field(default_factory=dict)
    deadline_ms: int | None = None


@dataclass(eq=False)
class TimerBook:
    """Every armed deadline of the engine; data and bookkeeping only (no database, no core)."""

    grace_ms: int = 5_000
    lease_ms: int = 15_000
    after: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)
    """(user id, symbol or "") -> (deadline ms, timeout ms)"""
    cod: dict[int, CodUser] = field(default_factory=dict)
    changed: set[tuple[int, str, str]] = field(default_factory=set)
    """(user id, kind, symbol) of rows the next batch writes."""
    next_due_ms: int | None = None
    """The earliest deadline or lease expiry; recomputed after each change (the clock, in another
    thread, only reads this int)."""
    ticks: int = 0
    """`timers_fire` commands applied (the clock's way to see its tick was taken)."""

    def recompute(self) -> None:
        due = [deadline for deadline, _ in self.after.values()]
        for user in self.cod.values():
            if user.deadline_ms is not None:
                due.append(user.deadline_ms)
            due.extend(user.leases.values())
        self.next_due_ms = min(due) if due else None

    # --- cancel after

    def after_set(self, user_id: int, symbol: str, timeout_ms: int, now_ms: int) -> int | None:
        """Arms (or re-arms) a countdown; 0 disarms. Returns the deadline (None: disarmed)."""
        key = (user_id, symbol)
        if timeout_ms == 0:
            if self.after.pop(key, None) is not None:
                self.changed.add((user_id, AFTER, symbol))
            return None
        self.after[key] = (now_ms + timeout_ms, timeout_ms)
        self.changed.add((user_id, AFTER, symbol))
        return now_ms + timeout_ms

    # --- cancel on disconnect

    def lease_open(self, user_id: int, lease: str, now_ms: int) -> CodUser:
        user = self.cod.setdefault(user_id, CodUser())
        before = (len(user.leases), user.deadline_ms)
        user.leases[lease] = now_ms + self.lease_ms
        user.deadline_ms = None  # a live socket: nothing to fire
        if (len(user.leases), user.deadline_ms) != before:
            self.changed.add((user_id, COD, ""))
        return user

    def lease_close(self, user_id: int, lease: str, now_ms: int) -> CodUser | None:
        """Ends a lease; the user's last one starts the grace. An unknown lease changes nothing."""
        user = self.cod.get(user_id)
        if user is None or user.leases.pop(lease, None) is None:
            return user
        if not user.leases:
            user.deadline_ms = now_ms + self.grace_ms
        self.changed.add((user_id, COD, ""))
        return user

    def lease_renew(self, user_id: int, lease: str, now_ms: int) -> None:
        user = self.cod.get(user_id)
        if user is not None and lease in user.leases:
            user.leases[lease] = now_ms + self.lease_ms
        else:  # unknown here (a restarted worker, a lost cod_open): the socket is live, count it
            self.lease_open(user_id, lease, now_ms)

    # --- rows

    def rows(self, now: datetime) -> list[Row]:
        """The rows of what changed since the last call (absolute values), for the batch to write."""
        out: list[Row] = []
        for user_id, kind, symbol in sorted(self.changed):
            if kind == AFTER:
                deadline, timeout = self.after.get((user_id, symbol), (None, 0))
                out.append((user_id, kind, symbol, deadline, timeout, 0, now))
            else:
                user = self.cod.get(user_id) or CodUser()
                out.append((user_id, kind, "", user.deadline_ms, self.grace_ms, len(user.leases), now))
        self.changed.clear()
        return out


def timers_load(now_ms: int) -> TimerBook:
    """The armed deadlines and cancel-on-disconnect users as the last committed batch left them."""
    book = TimerBook(
        grace_ms=settings.CANCEL_ON_DISCONNECT_GRACE_MS, lease_ms=settings.CANCEL_ON_DISCONNECT_LEASE_MS
    )
    rows = CancelTimer.objects.filter(deadline_ms__isnull=False) | CancelTimer.objects.filter(sockets__gt=0)
    for row in rows:
        if row.kind == AFTER:
            if row.deadline_ms is not None:
                book.after[(row.user_id, row.symbol)] = (row.deadline_ms, row.timeout_ms)
        elif row.sockets > 0:
            book.cod[row.user_id] = CodUser(leases={RESTORED: now_ms + book.lease_ms})
        else:
            book.cod[row.user_id] = CodUser(deadline_ms=row.deadline_ms)
    book.recompute()
    return book


# ---------------------------------------------------------------------------- commands


def _now_ms(state: "WorkerState") -> int:
    return ms_of(state.batch.now)


def _lease(cmd: dict[str, Any]) -> str:
    lease = get_str(cmd, "lease")
    if not 1 <= len(lease) <= LEASE_ID_MAX:
        raise bad(f"lease must be 1 to {LEASE_ID_MAX} characters")
    return lease


def cancel_after(state: "WorkerState", cmd: dict[str, Any]) -> dict[str, Any]:
    """`{user_id, timeout_ms, symbol?}`: arms, re-arms or (0) disarms a countdown."""
    user_id = get_int(cmd, "user_id")
    assert user_id is not None
    timeout_ms = get_int(cmd, "timeout_ms")
    assert timeout_ms is not None
    if not 0 <= timeout_ms <= CANCEL_AFTER_MAX_MS:
        raise bad(f"timeout_ms must be 0 to {CANCEL_AFTER_MAX_MS}")
    state.require_user(user_id)
    symbol = "" if cmd.get("symbol") is None else state.market(cmd.get("symbol")).symbol
    book, now = state.timers, _now_ms(state)
    deadline = book.after_set(user_id, symbol, timeout_ms, now)
    book.recompute()
    return {"ok": True, "symbol": symbol or None, "timeout_ms": timeout_ms, "deadline_ms": deadline,
            "now_ms": now}  # fmt: skip


def cod_open(state: "WorkerState", cmd: dict[str, Any]) -> dict[str, Any]:
    """`{user_id, lease}`: a socket that asked for cancel on disconnect; disarms a pending grace."""
    user_id = get_int(cmd, "user_id")
    assert user_id is not None
    lease = _lease(cmd)
    state.require_user(user_id)
    user = state.timers.lease_open(user_id, lease, _now_ms(state))
    state.timers.recompute()
    return {"ok": True, "sockets": len(user.leases), "grace_ms": state.timers.grace_ms,
            "lease_ms": state.timers.lease_ms}  # fmt: skip


def cod_close(state: "WorkerState", cmd: dict[str, Any]) -> dict[str, Any]:
    """`{user_id, lease}`: that socket is gone; the user's last one starts the grace."""
    user_id = get_int(cmd, "user_id")
    assert user_id is not None
    user = state.timers.lease_close(user_id, _lease(cmd), _now_ms(state))
    state.timers.recompute()
    sockets, deadline = (0, None) if user is None else (len(user.leases), user.deadline_ms)
    return {"ok": True, "sockets": sockets, "deadline_ms": deadline}


def cod_renew(state: "WorkerState", cmd: dict[str, Any]) -> dict[str, Any]:
    """`{leases: [[lease, user_id], ...]}`: one web process's live sockets, renewed for a lease time."""
    leases = cmd.get("leases")
    if not isinstance(leases, list) or len(leases) > MAX_RENEW:
        raise bad(f"leases must be a list of at most {MAX_RENEW} [lease, user_id] pairs")
    pairs = []
    for item in leases:
        if not (isinstance(item, list | tuple) and len(item) == 2):
            raise bad("each lease is [lease, user_id]")
        lease, user_id = _lease({"lease": item[0]}), get_int({"user_id": item[1]}, "user_id")
        assert user_id is not None
        pairs.append((lease, user_id))
    missing = {user_id for _, user_id in pairs} - state.user_ids
    if missing:  # after a restart the state knows no user yet; a deleted user's lease is dropped
        state.user_ids |= set(get_user_model().objects.filter(pk__in=missing).values_list("pk", flat=True))
    known = [(lease, user_id) for lease, user_id in pairs if user_id in state.user_ids]
    now = _now_ms(state)
    for lease, user_id in known:
        state.timers.lease_renew(user_id, lease, now)
    state.timers.recompute()
    return {"ok": True, "renewed": len(known)}


def timers_fire(state: "WorkerState", cmd: dict[str, Any], record: Callable[..., Any]) -> dict[str, Any]:
    """The clock's tick: everything due at the batch's time fires. Expired leases end like closed
    sockets (possibly starting a grace); due countdowns and graces cancel the user's open orders in
    their scope. `record` is the handlers' `apply_events`."""
    book, now = state.timers, _now_ms(state)
    book.ticks += 1
    canceled = 0
    for (user_id, symbol), (deadline, _) in sorted(book.after.items()):
        if deadline <= now:
            book.after_set(user_id, symbol, 0, now)
            canceled += _cancel_scope(state, user_id, symbol, CancelReason.CANCEL_AFTER, record)
    for user_id, user in sorted(book.cod.items()):
        for lease, expires in sorted(user.leases.items()):
            if expires <= now:
                log.info("engine: cancel-on-disconnect lease of user %d expired (not renewed)", user_id)
                # The grace starts now, not at the expiry: after a stall of the worker, the renewals
                # queued behind this tick still get a whole grace to count the socket again.
                book.lease_close(user_id, lease, now)
        if user.deadline_ms is not None and user.deadline_ms <= now:
            user.deadline_ms = None
            book.changed.add((user_id, COD, ""))
            canceled += _cancel_scope(state, user_id, "", CancelReason.CANCEL_ON_DISCONNECT, record)
        if not user.leases and user.deadline_ms is None:
            del book.cod[user_id]
    book.recompute()
    return {"ok": True, "canceled": canceled}


def _cancel_scope(
    state: "WorkerState", user_id: int, symbol: str, reason: CancelReason, record: Callable[..., Any]
) -> int:
    """Cancels the user's open orders and waiting stops on `symbol` ("" = all), with `reason`."""
    symbols = sorted({r.symbol for r in state.orders.values()
                      if r.user_id == user_id and (not symbol or r.symbol == symbol)})  # fmt: skip
    canceled = 0
    for each in symbols:
        events = [
            replace(e, reason=reason) if type(e) is OrderEvent and e.status is OrderStatus.CANCELED else e
            for e in state.ex.cancel_all(user_id, each)
        ]
        record(state, events)
        canceled += sum(type(e) is OrderEvent for e in events)
    if canceled:
        log.info("engine: %s canceled %d open orders of user %d", reason.value, canceled, user_id)
    return canceled


# ---------------------------------------------------------------------------- the clock

TICK: dict[str, Any] = {"type": "engine.command", "command": {"op": OP_TIMERS_FIRE}}
"""The internal command the clock submits (no `reply_to`: nobody waits for its reply)."""


async def timers_clock(runtime: Any, runner: Any) -> None:
    """Submits a tick whenever the next deadline is due; one at a time (until it was applied, or
    CLOCK_RETRY_SECONDS passed). Reads only `runner.state.timers.next_due_ms` (an int)."""
    sent: tuple[Any, int, float] | None = None  # (book, its ticks, monotonic time) of the last tick
    while not runtime.stopping and not runtime.failed:
        book = runner.state.timers
        due, now = book.next_due_ms, time.time_ns() // 1_000_000
        if due is not None and due <= now:
            waiting = sent is not None and sent[0] is book and sent[1] == book.ticks
            if not waiting or time.monotonic() - sent[2] > CLOCK_RETRY_SECONDS:  # type: ignore[index]
                sent = (book, book.ticks, time.monotonic())
                await runtime.submit_many([dict(TICK)])
            await asyncio.sleep(CLOCK_POLL_SECONDS / 4)
            continue
        delay = CLOCK_POLL_SECONDS if due is None else min(CLOCK_POLL_SECONDS, (due - now) / 1000)
        await asyncio.sleep(max(delay, 0.001))
