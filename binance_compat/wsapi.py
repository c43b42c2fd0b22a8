"""Binance's WebSocket API at /ws-api/v3, the part clients use for user data today.

ccxt 4.5 and python-binance 1.0.37 no longer open a listen-key stream for spot: they send
`userDataStream.subscribe.signature` (`apiKey`, `timestamp`, `signature` = hex HMAC-SHA256 of the
other params sorted by name as `k=v&...`, optional `recvWindow`) and then receive
`{"subscriptionId": n, "event": {...}}` on the same connection. The key checks are the REST ones
(accounts.api_keys.api_key_verify_payload); the events are those of the listen-key stream.
"""

import itertools
from typing import Any
from urllib.parse import urlencode

from channels.db import database_sync_to_async

from accounts.api_keys import KEY_PATTERN, SIGNATURE_PATTERN, ApiKeyRefused, api_key_verify_payload
from accounts.models import ApiKeyScope, User
from binance_compat.auth import DEFAULT_RECV_WINDOW_MS, FIELDS, MAX_RECV_WINDOW_MS, scope_check
from binance_compat.errors import binance_error
from binance_compat.streams import ANSWERED, USER_STREAM, Connection, StreamError
from marketdata.selectors import now_ms
from quantx_site.errors import ApiError, ErrorCode

_SIGNED_PARAMS = frozenset({"apiKey", "timestamp", "signature", "recvWindow"})


class WsApiError(Exception):
    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


def _refusal(exc: ApiError) -> WsApiError:
    error = binance_error(
        exc.error_code, exc.msg, field=exc.extra.get("field"), reason=exc.extra.get("reason")
    )
    return WsApiError(error.status, error.code, error.msg)


def user_from_signature(params: Any) -> User:
    """The user of a signed `userDataStream.subscribe.signature` (READ scope); ApiError if refused."""
    if not isinstance(params, dict) or not all(isinstance(v, str | int) and not isinstance(v, bool)
                                               for v in params.values()):  # fmt: skip
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER, "params: an object of strings and numbers.", field="params"
        )
    unknown = sorted(set(params) - _SIGNED_PARAMS)
    if unknown:
        raise ApiError(ErrorCode.UNKNOWN_PARAMETER, f"{unknown[0]}: not read.", field=unknown[0])
    for name in ("apiKey", "timestamp", "signature"):
        if name not in params:
            raise ApiError(ErrorCode.MANDATORY_PARAM_MISSING, f"{name}: missing.", field=name)
    key, signature = str(params["apiKey"]), str(params["signature"])
    timestamp, window = str(params["timestamp"]), str(params.get("recvWindow", DEFAULT_RECV_WINDOW_MS))
    if not KEY_PATTERN.fullmatch(key):
        raise ApiKeyRefused(ErrorCode.BAD_API_KEY_FORMAT, "API-key format invalid.", field="apiKey")
    if not (timestamp.isdigit() and len(timestamp) <= 15):
        raise ApiError(ErrorCode.ILLEGAL_PARAMETER, "timestamp: milliseconds.", field="timestamp")
    if not (window.isdigit() and 0 < int(window) <= MAX_RECV_WINDOW_MS):
        raise ApiError(ErrorCode.ILLEGAL_PARAMETER, "recvWindow: 1 to 60000.", field="recvWindow")
    if not SIGNATURE_PATTERN.fullmatch(signature):
        raise ApiKeyRefused(
            ErrorCode.BAD_SIGNATURE, "Signature for this request is not valid.", field="signature"
        )
    payload = urlencode(sorted((k, str(v)) for k, v in params.items() if k != "signature"))
    api_key = api_key_verify_payload(
        key=key, timestamp_ms=int(timestamp), recv_window_ms=int(window), signature=signature,
        payload=payload.encode(), fields=FIELDS,
    )  # fmt: skip
    scope_check(api_key, ApiKeyScope.READ)
    return api_key.user


class WsApi(Connection):
    """Requests `{"id", "method", "params"}` answered `{"id", "status", "result" | "error"}`."""

    _ids = itertools.count()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.subscription_id: int | None = None

    def wrap(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"subscriptionId": self.subscription_id, "event": payload}

    async def receive(self, text_data: str | None) -> None:
        request_id: Any = None
        try:
            try:
                message = self.parse(text_data)
            except StreamError as error:
                raise WsApiError(400, int(ErrorCode.MALFORMED_REQUEST), error.msg) from None
            request_id = message.get("id")
            if (
                not isinstance(request_id, int | str)
                or isinstance(request_id, bool)
                or len(str(request_id)) > 64
            ):
                request_id = None
                raise WsApiError(400, int(ErrorCode.ILLEGAL_PARAMETER), "id: an integer or a short string.")
            method = message.get("method")
            handler = _METHODS.get(method) if isinstance(method, str) else None
            if handler is None:
                raise WsApiError(400, int(ErrorCode.DISABLED), "This operation is not supported.")
            answer: dict[str, Any] = {"id": request_id, "status": 200, "result": None, "rateLimits": []}
            answer["result"] = await handler(self, message.get("params"), answer)
            if answer["result"] is not ANSWERED:
                self.send(answer)
        except WsApiError as error:
            self.send(
                {"id": request_id, "status": error.status, "error": {"code": error.code, "msg": error.msg}}
            )

    async def ping(self, params: Any, answer: dict[str, Any]) -> dict[str, Any]:
        return {}

    async def time(self, params: Any, answer: dict[str, Any]) -> dict[str, Any]:
        return {"serverTime": now_ms()}

    async def subscribe_signature(self, params: Any, answer: dict[str, Any]) -> object:
        if self.subscription_id is not None:
            raise WsApiError(
                400, int(ErrorCode.ILLEGAL_PARAMETER), "This connection already has a user data subscription."
            )
        try:
            user = await database_sync_to_async(user_from_signature)(params)
        except ApiError as refused:
            raise _refusal(refused) from None
        self.subscription_id = next(self._ids) % 2**31
        answer["result"] = {"subscriptionId": self.subscription_id}
        try:
            await self.follow_user(user, answer)
        except Exception:
            self.subscription_id = None
            raise
        return ANSWERED

    async def unsubscribe(self, params: Any, answer: dict[str, Any]) -> dict[str, Any]:
        self.forget(USER_STREAM)
        self.subscription_id = None
        return {}


_METHODS = {
    "ping": WsApi.ping,
    "time": WsApi.time,
    "userDataStream.subscribe.signature": WsApi.subscribe_signature,
    "userDataStream.unsubscribe": WsApi.unsubscribe,
}
