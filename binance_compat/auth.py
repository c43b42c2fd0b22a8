"""Binance's request signing over QuantX API keys (the same keys, scopes and checks as /api/v1/).

`X-MBX-APIKEY` names the key. A SIGNED request also sends `timestamp` (ms), optional `recvWindow`
(<= 60000) and `signature` = hex HMAC-SHA256(secret, query string + form body), the `signature`
parameter itself left out wherever it was sent (clients put it in the query or at the end of the
body; python-binance sends a cancel's parameters in a DELETE body). The window, the key lookup and
the constant-time comparison are accounts.api_keys' own (`api_key_verify_payload`).
"""

from accounts.api_keys import (
    AUTH_SIGNATURE_MALFORMED,
    KEY_PATTERN,
    SIGNATURE_PATTERN,
    ApiKeyRefused,
    SignedFields,
    api_key_active,
    api_key_verify_payload,
)
from accounts.models import ApiKey
from binance_compat.params import Params
from quantx_site.errors import ApiError, ErrorCode

HEADER_KEY = "X-MBX-APIKEY"
FIELDS = SignedFields(key=HEADER_KEY, timestamp="timestamp", signature="signature")
MAX_RECV_WINDOW_MS = 60_000
DEFAULT_RECV_WINDOW_MS = 5_000


def key_from_header(value: str | None) -> ApiKey:
    """The active key named by X-MBX-APIKEY (USER_STREAM endpoints: no signature)."""
    if not value:
        raise ApiError(ErrorCode.UNAUTHORIZED, "API-key required for this request.", field=HEADER_KEY)
    if not KEY_PATTERN.fullmatch(value):
        raise ApiKeyRefused(ErrorCode.BAD_API_KEY_FORMAT, "API-key format invalid.", field=HEADER_KEY)
    return api_key_active(key=value, field=HEADER_KEY)


def unsigned_payload(*raw: str) -> bytes:
    """What the client signed: each raw string without its `signature=` pair, concatenated."""
    parts = ["&".join(p for p in text.split("&") if not p.startswith("signature=")) for text in raw]
    return "".join(parts).encode()


def signed_key(*, header: str | None, params: Params, query: str, body: str) -> ApiKey:
    """Checks a SIGNED request; returns its active key or raises (-1021, -1022, -2014, -2015, -1102)."""
    if not header:
        raise ApiError(ErrorCode.UNAUTHORIZED, "API-key required for this request.", field=HEADER_KEY)
    if not KEY_PATTERN.fullmatch(header):
        raise ApiKeyRefused(ErrorCode.BAD_API_KEY_FORMAT, "API-key format invalid.", field=HEADER_KEY)
    timestamp = params.integer("timestamp", required=True, minimum=0, maximum=10**15)
    window = params.integer("recvWindow", minimum=1, maximum=MAX_RECV_WINDOW_MS)
    signature = params.text("signature", required=True, max_length=128) or ""
    if not SIGNATURE_PATTERN.fullmatch(signature):
        raise ApiKeyRefused(
            ErrorCode.BAD_SIGNATURE, "Signature for this request is not valid.", field="signature",
            reason=AUTH_SIGNATURE_MALFORMED,
        )  # fmt: skip
    assert timestamp is not None
    return api_key_verify_payload(
        key=header,
        timestamp_ms=timestamp,
        recv_window_ms=window or DEFAULT_RECV_WINDOW_MS,
        signature=signature,
        payload=unsigned_payload(query, body),
        fields=FIELDS,
    )


def scope_check(api_key: ApiKey, scope: str) -> None:
    """-2015 (401, as Binance answers a key without the permission) unless the key has `scope`."""
    if scope not in api_key.scopes:
        raise ApiError(
            ErrorCode.REJECTED_API_KEY,
            f"This API key does not have the {scope} scope.",
            reason="AUTH_SCOPE_MISSING",
        )
