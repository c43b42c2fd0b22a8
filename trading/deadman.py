"""The dead-man's switch, web side: arm/disarm a cancel-after countdown, list the armed timers.

The countdowns live in the engine (engine.worker.timers), the single writer, which persists them
with its batches (`engine.models.CancelTimer`): arming is one engine command, and the list is read
from those rows (a reply means committed, so a list read after an answer shows it).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings

from accounts.models import User
from engine.client.errors import engine_refusal_error, engine_send
from engine.client.protocol import CANCEL_AFTER_MAX_MS, CANCEL_AFTER_MIN_MS, OP_CANCEL_AFTER
from engine.models import CancelTimer
from quantx_site.errors import ApiError, ErrorCode
from trading.selectors import instrument_get

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TIMEOUT_WORDS = f"0 (disarm) or {CANCEL_AFTER_MIN_MS} to {CANCEL_AFTER_MAX_MS} milliseconds"


@dataclass(frozen=True)
class DeadmanTimer:
    """One armed timer as clients see it."""

    kind: str  # CANCEL_AFTER | CANCEL_ON_DISCONNECT
    symbol: str | None  # None: every symbol
    timeout_ms: int  # the countdown it was armed with; for CANCEL_ON_DISCONNECT the grace
    deadline_ms: int | None
    now_ms: int

    @property
    def deadline(self) -> datetime | None:
        return None if self.deadline_ms is None else EPOCH + timedelta(milliseconds=self.deadline_ms)

    @property
    def remaining_ms(self) -> int | None:
        return None if self.deadline_ms is None else max(0, self.deadline_ms - self.now_ms)


@dataclass(frozen=True)
class DeadmanTimers:
    timers: list[DeadmanTimer]
    cancel_on_disconnect_sockets: int
    grace_ms: int
    now_ms: int


def now_ms() -> int:
    return (datetime.now(UTC) - EPOCH) // timedelta(milliseconds=1)


def cancel_after_set(*, user: User, timeout_ms: int, symbol: str | None = None) -> DeadmanTimer:
    """Arms (or re-arms) the user's countdown for `symbol` (None: every symbol); 0 disarms it.

    When it runs out, the engine cancels the user's open orders in scope (waiting stops included),
    reason CANCEL_AFTER. Out of bounds: 400 -1100 (field timeout_ms); unknown symbol: -1121.
    """
    if timeout_ms != 0 and not CANCEL_AFTER_MIN_MS <= timeout_ms <= CANCEL_AFTER_MAX_MS:
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER, f"timeout_ms: {TIMEOUT_WORDS}.", field="timeout_ms",
            reason="CANCEL_AFTER_OUT_OF_RANGE",
        )  # fmt: skip
    scope = None if symbol is None else instrument_get(symbol=symbol).symbol
    reply = engine_send(
        {"op": OP_CANCEL_AFTER, "user_id": user.pk, "timeout_ms": timeout_ms, "symbol": scope},
        unknown_msg="Status unknown: the engine did not answer in time. Read the armed timers, or send "
        "the same request again (arming is idempotent up to its new deadline).",
    )
    if not reply.get("ok"):
        raise engine_refusal_error(reply, default=ErrorCode.ILLEGAL_PARAMETER)
    return DeadmanTimer(
        CancelTimer.Kind.CANCEL_AFTER.value, reply["symbol"], reply["timeout_ms"], reply["deadline_ms"],
        reply["now_ms"],
    )  # fmt: skip


def deadman_timers(*, user: User) -> DeadmanTimers:
    """The user's armed timers (soonest first) and their live cancel-on-disconnect sockets, as the
    engine last committed them. A deadline already passed is shown with 0 left until the engine
    fires it (at once, or when a stopped engine starts again)."""
    now = now_ms()
    rows = list(CancelTimer.objects.filter(user=user).order_by("deadline_ms", "symbol"))
    timers = [
        DeadmanTimer(r.kind, r.symbol or None, r.timeout_ms, r.deadline_ms, now)
        for r in rows
        if r.deadline_ms is not None
    ]
    sockets = sum(r.sockets for r in rows if r.kind == CancelTimer.Kind.CANCEL_ON_DISCONNECT)
    return DeadmanTimers(timers, sockets, settings.CANCEL_ON_DISCONNECT_GRACE_MS, now)
