"""Who is on a WebSocket: a JWT, a signed API key, or the browser session (docs/websocket.md).

Sync functions (they query the database); the session calls them in a thread. A refusal raises
ApiError with the same code the REST API would give (-1002, -1021, -1022, -2014, -2015...).

An API key signs exactly what a REST request `GET /ws/v1/` with no body would (docs/api-auth.md):
hex HMAC-SHA256(secret, timestamp + "GET" + "/ws/v1/"). It needs the READ scope.

A socket keeps its `WsCredential` and asks `ws_credential_valid` again while it is open: a JWT
ends at its expiry, an API key when it is revoked (or its user deactivated), a browser session
when it is logged out or expires.
"""

from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from rest_framework import exceptions, status
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts.api_keys import KEY_PATTERN, SIGNATURE_PATTERN, ApiKeyRefused, api_key_verify
from accounts.models import ApiKey, User
from marketdata.protocol import WS_PATH
from quantx_site.errors import ApiError, ErrorCode

SIGNED_METHOD = "GET"
SIGNED_PATH = f"/{WS_PATH}"
MAX_RECV_WINDOW_MS = 60_000
DEFAULT_RECV_WINDOW_MS = 5_000


def _refused(code: ErrorCode, msg: str, field: str | None = None) -> ApiError:
    extra = {"field": field} if field else {}
    return ApiError(code, msg, status_code=status.HTTP_401_UNAUTHORIZED, **extra)


@dataclass(frozen=True)
class WsCredential:
    """Who a socket is, and what its authority rests on (exactly one of the three below)."""

    user: User
    expires_ms: int | None = None
    """JWT: its `exp`, in ms since the epoch."""
    api_key_id: int | None = None
    session_key: str | None = None


def ws_credential_valid(credential: WsCredential, now_ms: int) -> bool:
    """Whether the credential still holds (queries the database for a key or a session)."""
    if credential.expires_ms is not None:
        return now_ms < credential.expires_ms
    if credential.api_key_id is not None:
        return ApiKey.objects.filter(
            pk=credential.api_key_id, revoked_at__isnull=True, user__is_active=True
        ).exists()
    if credential.session_key is not None:
        store = import_module(settings.SESSION_ENGINE).SessionStore(credential.session_key)
        same_user = store.load().get(SESSION_KEY) == str(credential.user.pk)
        return same_user and User.objects.filter(pk=credential.user.pk, is_active=True).exists()
    return False


def ws_credential_from_session(user: User, session: Any) -> WsCredential:
    return WsCredential(user, session_key=getattr(session, "session_key", None) or "")


def ws_credential_from_jwt(token: Any) -> WsCredential:
    """The active user of a valid JWT access token, until the token's expiry."""
    if not isinstance(token, str) or not token or len(token) > 4096:
        raise _refused(ErrorCode.ILLEGAL_PARAMETER, "token: must be a JWT access token.", "token")
    auth = JWTAuthentication()
    try:
        validated = auth.get_validated_token(token.encode())
        user = auth.get_user(validated)
    except (InvalidToken, TokenError, exceptions.AuthenticationFailed):
        raise _refused(ErrorCode.UNAUTHORIZED, "Given token not valid for any token type", "token") from None
    if not user.is_active:
        raise _refused(ErrorCode.UNAUTHORIZED, "User is inactive", "token")
    return WsCredential(user, expires_ms=int(validated["exp"]) * 1000)  # type: ignore[arg-type]


def ws_credential_from_api_key(
    *, api_key: Any, timestamp: Any, signature: Any, recv_window: Any = None
) -> WsCredential:
    """The user of a signed API key with the READ scope (see the module docstring), until the key
    is revoked."""
    if not isinstance(api_key, str) or not KEY_PATTERN.fullmatch(api_key):
        raise _refused(ErrorCode.BAD_API_KEY_FORMAT, "API-key format invalid.", "api_key")
    if isinstance(timestamp, int) and not isinstance(timestamp, bool):
        timestamp = str(timestamp)
    if not isinstance(timestamp, str) or not (
        timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 15
    ):
        raise _refused(
            ErrorCode.ILLEGAL_PARAMETER, "timestamp: milliseconds since the Unix epoch.", "timestamp"
        )
    if not isinstance(signature, str) or not SIGNATURE_PATTERN.fullmatch(signature):
        raise _refused(
            ErrorCode.BAD_SIGNATURE, "Signature is not valid: expected 64 hex characters.", "signature"
        )
    window = DEFAULT_RECV_WINDOW_MS if recv_window is None else recv_window
    if not isinstance(window, int) or isinstance(window, bool) or not 0 < window <= MAX_RECV_WINDOW_MS:
        raise _refused(
            ErrorCode.ILLEGAL_PARAMETER, f"recv_window: 1 to {MAX_RECV_WINDOW_MS} ms.", "recv_window"
        )
    try:
        key = api_key_verify(
            key=api_key, timestamp=timestamp, recv_window_ms=window, signature=signature,
            method=SIGNED_METHOD, path=SIGNED_PATH, body=b"",
        )  # fmt: skip
    except ApiKeyRefused as refusal:
        raise _refused(refusal.error_code, refusal.msg) from None
    if not key.can_read:
        raise ApiError(
            ErrorCode.REJECTED_API_KEY, "This API key does not have the READ scope.",
            status_code=status.HTTP_403_FORBIDDEN,
        )  # fmt: skip
    return WsCredential(key.user, api_key_id=key.pk)
