"""API authentication: signed API-key requests, and JWTs with a per-process user cache.

Signed requests: X-QX-APIKEY, X-QX-TIMESTAMP, X-QX-SIGNATURE (+ X-QX-RECV-WINDOW). This module reads
and checks the headers; accounts.api_keys verifies the time window, the key and the HMAC. A request
without any X-QX-* header is left to the next authenticator (JWT, session). Every refusal is a 401
in the error shape; the recipe is in docs/api-auth.md.

JWTs: simplejwt's checks, with the user read from a per-process cache (accounts/auth_cache.py)
instead of the database on every request.
"""

import copy

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http.request import RawPostDataException
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.api_keys import (
    AUTH_SIGNATURE_MALFORMED,
    KEY_PATTERN,
    SIGNATURE_PATTERN,
    ApiKeyRefused,
    api_key_verify,
)
from accounts.auth_cache import user_cached
from accounts.models import ApiKey, User
from quantx_site.errors import ApiError, ErrorCode, body_too_large

HEADER_KEY = "X-QX-APIKEY"
HEADER_TIMESTAMP = "X-QX-TIMESTAMP"
HEADER_RECV_WINDOW = "X-QX-RECV-WINDOW"
HEADER_SIGNATURE = "X-QX-SIGNATURE"
_SIGNING_HEADERS = (HEADER_KEY, HEADER_TIMESTAMP, HEADER_RECV_WINDOW, HEADER_SIGNATURE)
_MAX_TIMESTAMP_DIGITS = 15

# A worked example for the docs; tests/accounts/test_auth_signed.py recomputes it so it cannot drift.
SIGNING_EXAMPLE = {
    "secret": "0f2b6f3f7b1c4a6f9e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19",
    "timestamp": "1700000000000",
    "method": "POST",
    "path": "/api/v1/orders/?symbol=BTC-USD",
    "body": '{"side":"BUY","quantity":"0.5"}',
    "signature": "b464d560121d5598f1900e80c134f2c251487ed61d1c7182f145530fc022ef7a",
}

# 401 examples of refused signed requests, for extend_schema(responses=error_responses(...)).
SIGNED_REQUEST_REFUSALS = [
    (ErrorCode.UNAUTHORIZED, "Authentication credentials were not provided."),
    (ErrorCode.TIMESTAMP_OUTSIDE_RECV_WINDOW, "Timestamp for this request is outside of the recvWindow."),
    (ErrorCode.BAD_SIGNATURE, "Signature for this request is not valid."),
    (ErrorCode.REJECTED_API_KEY, "Invalid API key."),
    (ErrorCode.BAD_API_KEY_FORMAT, "API-key format invalid."),
    (ErrorCode.MANDATORY_PARAM_MISSING, "Mandatory header X-QX-SIGNATURE was not sent."),
]


def _meta_name(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticates a request signed with an API key; `request.auth` is then the `ApiKey`."""

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        headers: dict[str, str | None] = {h: request.META.get(_meta_name(h)) for h in _SIGNING_HEADERS}
        key = headers[HEADER_KEY]
        if key is None:
            if any(v is not None for v in headers.values()):
                raise _missing(HEADER_KEY)
            return None
        if not KEY_PATTERN.fullmatch(key):
            raise ApiKeyRefused(ErrorCode.BAD_API_KEY_FORMAT, "API-key format invalid.", field=HEADER_KEY)
        timestamp = _timestamp(headers[HEADER_TIMESTAMP])
        recv_window = _recv_window(headers[HEADER_RECV_WINDOW])
        signature = headers[HEADER_SIGNATURE]
        if signature is None:
            raise _missing(HEADER_SIGNATURE)
        if not SIGNATURE_PATTERN.fullmatch(signature):
            raise ApiKeyRefused(
                ErrorCode.BAD_SIGNATURE,
                "Signature for this request is not valid: expected 64 hexadecimal characters.",
                field=HEADER_SIGNATURE,
                reason=AUTH_SIGNATURE_MALFORMED,
            )
        api_key = api_key_verify(
            key=key,
            timestamp=timestamp,
            recv_window_ms=recv_window,
            signature=signature,
            method=request.method or "",
            path=request._request.get_full_path(),
            body=_raw_body(request),
        )
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        # A value here keeps DRF answering 401 (not 403) to unauthenticated requests.
        return 'QX-HMAC-SHA256 realm="api"'


class CachedJWTAuthentication(JWTAuthentication):
    """simplejwt's JWTAuthentication, its user read from the per-process cache (accounts/auth_cache.py).

    `request.user` stays a real `User` (a copy per request), so permissions, scopes, services and
    pages work as with the stock class; simplejwt's stateless `TokenUser` would not be a model
    instance. Every check of simplejwt's `get_user` still runs on each request, against the cached
    row: a user deactivated, deleted or with a changed password (when CHECK_REVOKE_TOKEN is on) in
    another process is refused within AUTH_CACHE_SECONDS, in this process at once.
    """

    def get_user(self, validated_token: Token) -> User:
        try:
            user_id = validated_token[jwt_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken("Token contained no recognizable user identification") from None
        user = user_cached(user_id)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if jwt_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            jwt_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed("The user's password has been changed.", code="password_changed")
        return copy.copy(user)


class CachedJWTAuthenticationScheme(SimpleJWTScheme):
    """OpenAPI: the same `jwtAuth` bearer scheme as simplejwt's own class."""

    target_class = CachedJWTAuthentication


def _missing(header: str) -> ApiKeyRefused:
    return ApiKeyRefused(
        ErrorCode.MANDATORY_PARAM_MISSING, f"Mandatory header {header} was not sent.", field=header
    )


def _illegal(header: str, msg: str) -> ApiKeyRefused:
    return ApiKeyRefused(ErrorCode.ILLEGAL_PARAMETER, f"{header}: {msg}", field=header)


def _timestamp(value: str | None) -> str:
    if value is None:
        raise _missing(HEADER_TIMESTAMP)
    if not (value.isascii() and value.isdigit() and len(value) <= _MAX_TIMESTAMP_DIGITS):
        raise _illegal(HEADER_TIMESTAMP, "must be milliseconds since the Unix epoch, digits only.")
    return value


def _recv_window(value: str | None) -> int:
    maximum = settings.API_KEY_MAX_RECV_WINDOW_MS
    if value is None:
        return int(settings.API_KEY_DEFAULT_RECV_WINDOW_MS)
    if not (value.isascii() and value.isdigit() and len(value) <= _MAX_TIMESTAMP_DIGITS):
        raise _illegal(HEADER_RECV_WINDOW, f"must be an integer from 1 to {maximum} (milliseconds).")
    window = int(value)
    if not 0 < window <= maximum:
        raise _illegal(HEADER_RECV_WINDOW, f"must be an integer from 1 to {maximum} (milliseconds).")
    return window


def _raw_body(request: Request) -> bytes:
    """The body bytes exactly as received (what the client signed)."""
    try:
        return request._request.body
    except RequestDataTooBig:
        raise body_too_large() from None
    except RawPostDataException:
        raise ApiError(ErrorCode.MALFORMED_REQUEST, "Request body could not be read.") from None


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """OpenAPI security scheme: the three headers go together (all required)."""

    target_class = ApiKeyAuthentication
    name = ["ApiKey", "ApiKeyTimestamp", "ApiKeySignature"]

    def get_security_definition(self, auto_schema: object) -> list[dict[str, str]]:
        ex = SIGNING_EXAMPLE
        recipe = (
            f"Signed request (docs/api-auth.md): send `{HEADER_KEY}`, `{HEADER_TIMESTAMP}` and "
            f"`{HEADER_SIGNATURE}`, optionally `{HEADER_RECV_WINDOW}` (ms, default 5000, max 60000). "
            "Signature = hex HMAC-SHA256(secret, timestamp + METHOD + path?query + raw body). "
            f"Example: secret `{ex['secret']}`, timestamp `{ex['timestamp']}`, "
            f"`{ex['method']} {ex['path']}` with body `{ex['body']}` signs to `{ex['signature']}`."
        )
        return [
            {"type": "apiKey", "in": "header", "name": HEADER_KEY, "description": f"Public key id. {recipe}"},
            {
                "type": "apiKey",
                "in": "header",
                "name": HEADER_TIMESTAMP,
                "description": "Milliseconds since the Unix epoch.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": HEADER_SIGNATURE,
                "description": "Hex HMAC-SHA256 (see ApiKey).",
            },
        ]
