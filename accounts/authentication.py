"""Signed API-key authentication: X-QX-APIKEY, X-QX-TIMESTAMP, X-QX-SIGNATURE (+ X-QX-RECV-WINDOW).

This module reads and checks the headers; accounts.api_keys verifies the time window, the key and
the HMAC. A request without any X-QX-* header is left to the next authenticator (JWT, session).
Every refusal is a 401 in the error shape; the recipe is in docs/api-auth.md.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http.request import RawPostDataException
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts.api_keys import (
    AUTH_SIGNATURE_MALFORMED,
    KEY_PATTERN,
    SIGNATURE_PATTERN,
    ApiKeyRefused,
    api_key_verify,
)
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
