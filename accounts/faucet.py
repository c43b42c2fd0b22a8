"""Paper-trading faucet: free test funds, credited by the engine as a deposit.

Capped per call and per UTC day, per asset (settings FAUCET_MAX_PER_CALL / FAUCET_MAX_PER_DAY); the
day's total is read from the ledger (deposits whose operation id starts with "faucet-"), so it
survives restarts and is the same in every web process. The check and the credit run under a
per-user lock in the shared cache (`_one_call_at_a_time`: Redis in the scaled mode), so concurrent
calls cannot both pass the daily check; the engine stays the only writer of the ledger.

A call may carry a request id (`client_request_id` in the body, or an `Idempotency-Key` header):
its deposit's operation id is then derived from it, so a retry credits once and answers the same
(`replayed`), found in the ledger before anything else is checked, or by the engine (which applies
an operation id once) when the two race. The same id with another asset or amount is refused.
"""

import contextlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Sum
from django.utils import timezone
from rest_framework import status

from accounts.models import Asset, Balance, LedgerEntry, LedgerReason, User
from accounts.money import plain_decimal
from engine.client.errors import engine_refusal_error, engine_send
from engine.client.protocol import OP_DEPOSIT
from quantx_site.errors import ApiError, ErrorCode

OPERATION_PREFIX = "faucet-"
FAUCET_MAX_PER_CALL = "FAUCET_MAX_PER_CALL"
FAUCET_MAX_PER_DAY = "FAUCET_MAX_PER_DAY"
REQUEST_ID_REUSED = "FAUCET_REQUEST_ID_REUSED"
KEYED_PREFIX = f"{OPERATION_PREFIX}k-"
"""Operation ids of keyed calls: `faucet-k-<request id>` (random ones are `faucet-<uuid hex>`)."""
LOCK_WAIT_SECONDS = 10.0
"""How long a call waits for the user's previous faucet call to finish before answering 429."""
LOCK_TTL_SECONDS = 70
"""A lock outlives a crashed holder this long; a call whose outcome is unknown (engine timeout)
keeps it that long too, past the channel layer's 60 s expiry of the command it sent."""


REQUEST_ID = RegexValidator(r"^[A-Za-z0-9_-]{1,50}\Z", "1 to 50 characters: letters, digits, _ and -.")


def faucet_request_id(body_id: str | None, header: str | None) -> str | None:
    """The call's request id, from the body or the `Idempotency-Key` header (400 -1100 if the header
    is malformed or the two differ)."""
    if header is not None:
        try:
            REQUEST_ID(header)
        except ValidationError:
            raise ApiError(
                ErrorCode.ILLEGAL_PARAMETER,
                "Idempotency-Key: 1 to 50 characters: letters, digits, _ and -.",
                field="Idempotency-Key",
            ) from None
        if body_id is not None and body_id != header:
            raise ApiError(
                ErrorCode.ILLEGAL_PARAMETER,
                "client_request_id and the Idempotency-Key header differ; send one of them.",
                field="client_request_id",
            )
    return body_id if body_id is not None else header


@dataclass(frozen=True)
class FaucetCredit:
    asset: str
    amount: Decimal
    free: Decimal
    locked: Decimal
    credited_today: Decimal
    remaining_today: Decimal
    replayed: bool = False
    """A retry of a call with the same request id: nothing was credited this time."""


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


def faucet_credit(
    *, user: User, asset_code: str, amount: Decimal, request_id: str | None = None
) -> FaucetCredit:
    """Credits `amount` of `asset_code` to the user through the engine (a DEPOSIT ledger entry).

    403 -1020 when the faucet is disabled; 400 -1100 for an asset it does not offer, or an amount
    over the per-call cap (reason FAUCET_MAX_PER_CALL) or over what is left today (FAUCET_MAX_PER_DAY).
    With a `request_id` used before: the same answer again (`replayed`), nothing credited; 400 -1100
    FAUCET_REQUEST_ID_REUSED if that call was for another asset or amount. Nothing is written when
    refused.
    """
    operation_id = f"{KEYED_PREFIX}{request_id}" if request_id else f"{OPERATION_PREFIX}{uuid.uuid4().hex}"
    if request_id:
        replay = _replay(user=user, operation_id=operation_id, asset_code=asset_code, amount=amount)
        if replay is not None:
            return replay
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
            f"amount: At most {plain_decimal(per_call)} {asset_code} per call.",
            field="amount",
            reason=FAUCET_MAX_PER_CALL,
        )
    with _one_call_at_a_time(user.pk):
        if request_id:  # the same id may have been credited while this call waited for the lock
            replay = _replay(user=user, operation_id=operation_id, asset_code=asset_code, amount=amount)
            if replay is not None:
                return replay
        return _credit(user=user, asset=asset, amount=amount, per_day=per_day, operation_id=operation_id)


def _replay(*, user: User, operation_id: str, asset_code: str, amount: Decimal) -> FaucetCredit | None:
    """The answer to a call whose request id was credited before, or None if it never was."""
    entry = LedgerEntry.objects.filter(user=user, operation_id=operation_id).select_related("asset").first()
    if entry is None:
        return None
    if entry.asset.code != asset_code or entry.delta_free != amount:
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER,
            f"This request id was used for {plain_decimal(entry.delta_free)} {entry.asset.code}; "
            "use a new one for another credit.",
            reason=REQUEST_ID_REUSED,
        )
    return _answer(user=user, asset=entry.asset, amount=amount, replayed=True)


def _answer(*, user: User, asset: Asset, amount: Decimal, replayed: bool) -> FaucetCredit:
    balance = Balance.objects.filter(user=user, asset=asset).first()
    credited = faucet_credited_today(user=user, asset=asset)
    per_day = settings.FAUCET_MAX_PER_DAY.get(asset.code, credited)
    return FaucetCredit(
        asset=asset.code,
        amount=amount,
        free=balance.free if balance is not None else Decimal(0),
        locked=balance.locked if balance is not None else Decimal(0),
        credited_today=credited,
        remaining_today=max(per_day - credited, Decimal(0)),
        replayed=replayed,
    )


@contextlib.contextmanager
def _one_call_at_a_time(user_id: int) -> Iterator[None]:
    """The user's faucet calls run one after the other, in every process (cache `add` is atomic)."""
    key, token = f"faucet-lock:{user_id}", uuid.uuid4().hex
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not cache.add(key, token, timeout=LOCK_TTL_SECONDS):
        if time.monotonic() > deadline:
            raise ApiError(
                ErrorCode.TOO_MANY_REQUESTS,
                "Another faucet call of yours is still running; try again shortly.",
                status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        time.sleep(0.02)
    try:
        yield
    except ApiError as error:
        if error.error_code != ErrorCode.STATUS_UNKNOWN:  # else: the credit may still land; keep the lock
            _unlock(key, token)
        raise
    except BaseException:
        _unlock(key, token)
        raise
    _unlock(key, token)


def _unlock(key: str, token: str) -> None:
    if cache.get(key) == token:
        cache.delete(key)


def _credit(
    *, user: User, asset: Asset, amount: Decimal, per_day: Decimal, operation_id: str
) -> FaucetCredit:
    asset_code = asset.code
    before = faucet_credited_today(user=user, asset=asset)
    if before + amount > per_day:
        left = max(per_day - before, Decimal(0))
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER,
            f"amount: At most {plain_decimal(per_day)} {asset_code} per UTC day; {plain_decimal(left)} left today.",
            field="amount",
            reason=FAUCET_MAX_PER_DAY,
        )
    command = {
        "op": OP_DEPOSIT,
        "user_id": user.pk,
        "asset": asset.code,
        "amount": plain_decimal(amount),
        "operation_id": operation_id,
        "note": "faucet",
    }
    reply = engine_send(
        command, unknown_msg="Faucet status unknown: the engine did not answer in time. Check your ledger."
    )
    if not reply.get("ok"):
        raise engine_refusal_error(reply, default=ErrorCode.UNKNOWN)
    if not reply.get("created", True):  # a concurrent call with the same request id credited it
        return _answer(user=user, asset=asset, amount=amount, replayed=True)
    credited = before + amount
    return FaucetCredit(
        asset=asset.code,
        amount=amount,
        free=Decimal(reply["free"]),
        locked=Decimal(reply["locked"]),
        credited_today=credited,
        remaining_today=per_day - credited,
    )
