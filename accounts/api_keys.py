"""API keys: create, list, revoke, keep the secret encrypted at rest, and verify signed requests.

Signing recipe (docs/api-auth.md): the client sends `X-QX-SIGNATURE` =
hex(HMAC-SHA256(secret, timestamp + METHOD + path-with-query + body)). Verifying it needs the secret
itself (HMAC is symmetric), so the secret cannot be hashed like a password; it is Fernet-encrypted
(AES-128-CBC + HMAC-SHA256) with a key that never lives in the database: `API_KEY_ENCRYPTION_KEY`
when set (comma-separated Fernet keys, the first encrypts), otherwise one derived from `SECRET_KEY`
with HKDF-SHA256. Keys derived from `SECRET_KEY` and `SECRET_KEY_FALLBACKS` always stay accepted for
decryption, so rotating either key does not lock existing API keys out.
"""

import base64
import functools
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework import exceptions, status

from accounts.auth_cache import api_key_cached, api_key_copy, api_key_forget
from accounts.models import ApiKey, ApiKeyScope, User
from quantx_site.errors import ApiError, ErrorCode

logger = logging.getLogger(__name__)

KEY_PREFIX = "qx_"
KEY_PATTERN = re.compile(r"qx_[A-Za-z0-9_-]{16,61}")
SIGNATURE_PATTERN = re.compile(r"[0-9a-fA-F]{64}")
# A client clock may run this far ahead of ours (Binance allows 1 s too); further ahead is refused.
FUTURE_TOLERANCE_MS = 1_000
# last_used_at is written at most once per this interval per key: one UPDATE a minute, not per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_HKDF_SALT = b"quantx.api-key-secrets"

# Reasons (the error body's "reason"), stage-prefixed like FILTER_* in trading/filters.py.
AUTH_TIMESTAMP_TOO_OLD = "AUTH_TIMESTAMP_TOO_OLD"
AUTH_TIMESTAMP_IN_FUTURE = "AUTH_TIMESTAMP_IN_FUTURE"
AUTH_KEY_INVALID = "AUTH_KEY_INVALID"
AUTH_SIGNATURE_MALFORMED = "AUTH_SIGNATURE_MALFORMED"
AUTH_SIGNATURE_MISMATCH = "AUTH_SIGNATURE_MISMATCH"
AUTH_SIGNATURE_REPLAYED = "AUTH_SIGNATURE_REPLAYED"
AUTH_KEY_LIMIT = "AUTH_KEY_LIMIT"
_HKDF_INFO = b"fernet-key v1"


class ApiKeyRefused(ApiError, exceptions.AuthenticationFailed):
    """A signed request that does not authenticate: 401 in the error shape, with WWW-Authenticate."""

    status_code = status.HTTP_401_UNAUTHORIZED


@dataclass(frozen=True)
class CreatedApiKey:
    """A new key and its secret in clear: the only moment the secret is ever available."""

    api_key: ApiKey
    secret: str


# --- Secret at rest ---------------------------------------------------------------------------


def derive_fernet_key(secret_key: str) -> bytes:
    """A Fernet key (urlsafe base64 of 32 bytes) derived from a Django SECRET_KEY with HKDF-SHA256."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


@functools.lru_cache(maxsize=8)
def _build_fernet(configured: str, secret_key: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    keys: list[bytes | str] = [k.strip() for k in configured.split(",") if k.strip()]
    keys += [derive_fernet_key(k) for k in (secret_key, *fallbacks)]
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "QX_API_KEY_ENCRYPTION_KEY must be Fernet keys (comma-separated), "
            "e.g. from `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
        ) from None


def _fernet() -> MultiFernet:
    return _build_fernet(
        settings.API_KEY_ENCRYPTION_KEY or "",
        settings.SECRET_KEY,
        tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())),
    )


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The secret in clear; raises cryptography's InvalidToken if no configured key opens it."""
    return _fernet().decrypt(token.encode()).decode()


# --- Keys -------------------------------------------------------------------------------------


@transaction.atomic
def api_key_create(*, user: User, label: str = "", scopes: Iterable[str]) -> CreatedApiKey:
    """Creates a key with the given scopes (READ, TRADE); returns it with its secret in clear.

    A user has at most settings.API_KEYS_MAX_PER_USER active keys (400 -1100, reason
    AUTH_KEY_LIMIT): the user's row is locked while counting, so concurrent creations cannot
    overshoot (PostgreSQL; SQLite serializes writers anyway).
    """
    wanted = set(scopes)
    unknown = wanted - set(ApiKeyScope.values)
    if unknown or not wanted:
        raise ValueError(f"scopes must be a non-empty subset of {ApiKeyScope.values}, got {sorted(wanted)}")
    User.objects.select_for_update().filter(pk=user.pk).first()
    limit = settings.API_KEYS_MAX_PER_USER
    if ApiKey.objects.filter(user=user, revoked_at__isnull=True).count() >= limit:
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER,
            f"At most {limit} active API keys per user; revoke one first.",
            reason=AUTH_KEY_LIMIT,
        )
    secret = secrets.token_hex(32)
    api_key = ApiKey.objects.create(
        user=user,
        label=label,
        key=KEY_PREFIX + secrets.token_urlsafe(24),
        secret_encrypted=secret_encrypt(secret),
        can_read=ApiKeyScope.READ in wanted,
        can_trade=ApiKeyScope.TRADE in wanted,
    )
    return CreatedApiKey(api_key=api_key, secret=secret)


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    """The user's active keys, newest first. Revoked keys stay in the table (admin) but not here."""
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).order_by("-id")


def api_key_revoke(*, user: User, key_id: int) -> ApiKey:
    """Revokes one of the user's active keys. Another user's key, a revoked or unknown id: 404.

    Refused at once by this process; by the others within AUTH_CACHE_SECONDS (their key cache)."""
    now = timezone.now()
    updated = ApiKey.objects.filter(pk=key_id, user=user, revoked_at__isnull=True).update(revoked_at=now)
    if not updated:
        raise ApiError(ErrorCode.NOT_FOUND, "No such API key.", status_code=status.HTTP_404_NOT_FOUND)
    api_key = ApiKey.objects.get(pk=key_id)
    api_key_forget(api_key.key)  # other processes: within AUTH_CACHE_SECONDS (accounts/auth_cache.py)
    return api_key


# --- Signed requests --------------------------------------------------------------------------


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def signature_payload(*, timestamp: str, method: str, path: str, body: bytes) -> bytes:
    """The signed bytes: timestamp header text + upper-case method + path with query + raw body."""
    return f"{timestamp}{method.upper()}{path}".encode() + body


def signature_compute(*, secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def api_key_verify(
    *, key: str, timestamp: str, recv_window_ms: int, signature: str, method: str, path: str, body: bytes
) -> ApiKey:
    """Checks a signed request and returns its active key (user loaded); raises ApiKeyRefused.

    Headers must already be well-formed (see accounts.authentication). Order: time window (no
    database), key lookup (a per-process cache: a key revoked or a user deactivated in another
    process is refused within AUTH_CACHE_SECONDS), then the HMAC in constant time. On success
    last_used_at is refreshed at most once per LAST_USED_RESOLUTION (per process); a refused
    request writes nothing. An exact replay (same key and signature) while the timestamp is still
    inside its window is refused (`_first_use`).
    """
    return api_key_verify_payload(
        key=key,
        timestamp_ms=int(timestamp),
        recv_window_ms=recv_window_ms,
        signature=signature,
        payload=signature_payload(timestamp=timestamp, method=method, path=path, body=body),
    )


@dataclass(frozen=True)
class SignedFields:
    """Where a scheme carries the key, the timestamp and the signature (named in refusals)."""

    key: str = "X-QX-APIKEY"
    timestamp: str = "X-QX-TIMESTAMP"
    signature: str = "X-QX-SIGNATURE"


QX_FIELDS = SignedFields()


def api_key_verify_payload(
    *,
    key: str,
    timestamp_ms: int,
    recv_window_ms: int,
    signature: str,
    payload: bytes,
    fields: SignedFields = QX_FIELDS,
) -> ApiKey:
    """`api_key_verify` for any signing scheme: the HMAC is over `payload` (what the scheme signs:
    QuantX's timestamp + method + path + body, Binance's query string + body). Same window, same
    key checks, same constant-time comparison; `fields` only names the parameters in refusals."""
    skew = timestamp_ms - now_ms()
    if skew > FUTURE_TOLERANCE_MS or -skew > recv_window_ms:
        ahead = skew > 0
        raise ApiKeyRefused(
            ErrorCode.TIMESTAMP_OUTSIDE_RECV_WINDOW,
            f"Timestamp for this request is outside of the recvWindow: {abs(skew)} ms "
            f"{'ahead of' if ahead else 'behind'} the server clock.",
            field=fields.timestamp,
            reason=AUTH_TIMESTAMP_IN_FUTURE if ahead else AUTH_TIMESTAMP_TOO_OLD,
        )
    api_key = api_key_active(key=key, field=fields.key)
    try:
        secret = secret_decrypt(api_key.secret_encrypted)
    except InvalidToken:
        logger.error("API key %s: secret does not decrypt with the configured keys", api_key.pk)
        raise _invalid_key(fields.key) from None
    expected = signature_compute(secret=secret, payload=payload)
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        raise ApiKeyRefused(
            ErrorCode.BAD_SIGNATURE,
            "Signature for this request is not valid.",
            field=fields.signature,
            reason=AUTH_SIGNATURE_MISMATCH,
        )
    _first_use(api_key, signature, expires_ms=timestamp_ms + recv_window_ms, field=fields.signature)
    _touch(api_key, timezone.now())
    return api_key_copy(api_key)


def api_key_active(*, key: str, field: str = QX_FIELDS.key) -> ApiKey:
    """The active key with this id (user loaded), or ApiKeyRefused -2015. For schemes that name
    the key without signing (Binance's listen-key endpoints) and for the signed check above."""
    api_key = api_key_cached(key)  # per process, bounded: accounts/auth_cache.py
    if api_key is None or not api_key.is_active or not api_key.user.is_active:
        raise _invalid_key(field)
    return api_key


def _first_use(api_key: ApiKey, signature: str, *, expires_ms: int, field: str) -> None:
    """Refuses a signature already accepted: each signed request is good once.

    The signature is remembered in the default cache (Redis in the scaled mode, so every web
    process sees it; `add` is atomic: of two concurrent copies exactly one wins) until the request
    would be too old anyway, so the memory needed is bounded by the receive window.
    """
    ttl_seconds = max(1, -(-(expires_ms - now_ms()) // 1000) + 1)
    if not cache.add(f"apikey-sig:{api_key.pk}:{signature.lower()}", 1, timeout=ttl_seconds):
        raise ApiKeyRefused(
            ErrorCode.BAD_SIGNATURE,
            "This signed request was already received; sign each request anew (new timestamp).",
            field=field,
            reason=AUTH_SIGNATURE_REPLAYED,
        )


def _invalid_key(field: str) -> ApiKeyRefused:
    """Unknown, revoked or deactivated: one answer, so a caller cannot tell which."""
    return ApiKeyRefused(ErrorCode.REJECTED_API_KEY, "Invalid API key.", field=field, reason=AUTH_KEY_INVALID)


def _touch(api_key: ApiKey, now: datetime) -> None:
    """Refreshes last_used_at if older than the resolution; the filter makes racing workers write once."""
    if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ApiKey.objects.filter(stale, pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now
