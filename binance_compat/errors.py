"""QuantX errors in Binance's words: the one place the facade maps codes, statuses and texts.

Services, selectors and the facade's own parsing raise QuantX `ApiError`s (code, `field`,
stage-prefixed `reason`: docs/errors.md). Clients written for Binance branch on Binance's code and,
for some codes, on the exact text (ccxt picks InsufficientFunds or InvalidOrder from "Account has
insufficient balance for requested action." or "Filter failure: PRICE_FILTER"). So the code is kept
(QuantX numbers follow Binance's), the text is Binance's where Binance has one, and the HTTP status
is the one Binance uses: 400 for refused requests, 401 for keys, 429 for limits, 503 when the engine
did not answer.
"""

from dataclasses import dataclass
from typing import Any

from rest_framework import exceptions

from quantx_site.errors import ApiError, ErrorCode

TOO_MANY_ORDERS = -1015
INVALID_LISTEN_KEY = -1125
INVALID_TIME_IN_FORCE = -1115
INVALID_ORDER_TYPE = -1116
INVALID_SIDE = -1117
BAD_PARAM_COMBINATION = -1128
OCO_ORDER_TYPE_REJECTED = -1158
BUY_OCO_LIMIT_MUST_BE_BELOW = -1165
SELL_OCO_LIMIT_MUST_BE_ABOVE = -1166
BOTH_OCO_ORDERS_CANNOT_BE_LIMIT = -1168
_BY_REASON = {
    "OCO_ORDER_TYPE_REJECTED": OCO_ORDER_TYPE_REJECTED,
    "BUY_OCO_LIMIT_MUST_BE_BELOW": BUY_OCO_LIMIT_MUST_BE_BELOW,
    "SELL_OCO_LIMIT_MUST_BE_ABOVE": SELL_OCO_LIMIT_MUST_BE_ABOVE,
    "BOTH_OCO_ORDERS_CANNOT_BE_LIMIT": BOTH_OCO_ORDERS_CANNOT_BE_LIMIT,
    "BAD_PARAM_COMBINATION": BAD_PARAM_COMBINATION,
}
"""Facade-only refusals (Binance codes QuantX's catalogue has no number for), by `reason`."""
_FIELDS = {"qty": "quantity", "quote_qty": "quoteOrderQty", "stop_price": "stopPrice", "tif": "timeInForce",
           "trailing_delta": "trailingDelta", "client_order_id": "newClientOrderId",
           "client_list_id": "listClientOrderId"}  # fmt: skip
_LEG_FIELDS = {"type": "Type", "price": "Price", "stop_price": "StopPrice", "tif": "TimeInForce",
               "trailing_delta": "TrailingDelta", "client_order_id": "ClientOrderId"}  # fmt: skip

_FILTERS = {
    "FILTER_TICK_SIZE": "PRICE_FILTER",
    "FILTER_LOT_SIZE": "LOT_SIZE",
    "FILTER_MIN_QTY": "LOT_SIZE",
    "FILTER_MAX_QTY": "LOT_SIZE",
    "FILTER_MIN_NOTIONAL": "NOTIONAL",
    "FILTER_TRAILING_DELTA": "TRAILING_DELTA",
}
_REJECTIONS = {
    "RISK_INSUFFICIENT_FUNDS": "Account has insufficient balance for requested action.",
    "MATCHING_WOULD_TAKE": "Order would immediately match and take.",
    "WORKER_INSTRUMENT_HALTED": "Market is closed.",
    "WORKER_CANCEL_ONLY": "Market is closed.",
    "DUPLICATE_ORDER": "Duplicate order sent.",
    "MATCHING_WOULD_TRIGGER_IMMEDIATELY": "Order would trigger immediately.",
}
_BAD_VALUE_CODES = {"timeInForce": INVALID_TIME_IN_FORCE, "type": INVALID_ORDER_TYPE, "side": INVALID_SIDE}
_TEXTS: dict[int, str] = {
    ErrorCode.UNKNOWN: "An unknown error occurred while processing the request.",
    ErrorCode.STATUS_UNKNOWN: "Timeout waiting for response from backend server. Send status unknown; "
    "execution status unknown.",
    ErrorCode.SERVER_BUSY: "Server is currently overloaded with other requests. Please try again in a few minutes.",
    ErrorCode.BAD_SIGNATURE: "Signature for this request is not valid.",
    ErrorCode.BAD_API_KEY_FORMAT: "API-key format invalid.",
    ErrorCode.REJECTED_API_KEY: "Invalid API-key, IP, or permissions for action.",
    ErrorCode.BAD_SYMBOL: "Invalid symbol.",
    ErrorCode.BAD_INTERVAL: "Invalid interval.",
    ErrorCode.NO_SUCH_ORDER: "Order does not exist.",
    ErrorCode.CANCEL_REJECTED: "Unknown order sent.",
    ErrorCode.BAD_PRECISION: "Precision is over the maximum defined for this asset.",
    ErrorCode.UNAUTHORIZED: "API-key required for this request.",
    INVALID_TIME_IN_FORCE: "Invalid timeInForce.",
    INVALID_ORDER_TYPE: "Invalid orderType.",
    INVALID_SIDE: "Invalid side.",
    BAD_PARAM_COMBINATION: "Combination of optional parameters invalid.",
    OCO_ORDER_TYPE_REJECTED: "Order type not supported in OCO.",
    BUY_OCO_LIMIT_MUST_BE_BELOW: "A limit order in a buy OCO must be below.",
    SELL_OCO_LIMIT_MUST_BE_ABOVE: "A limit order in a sell OCO must be above.",
    BOTH_OCO_ORDERS_CANNOT_BE_LIMIT: "At least one OCO order must be contingent.",
}
_STATUS: dict[int, int] = {
    ErrorCode.BAD_API_KEY_FORMAT: 401,
    ErrorCode.REJECTED_API_KEY: 401,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.TOO_MANY_REQUESTS: 429,
    TOO_MANY_ORDERS: 429,
    ErrorCode.STATUS_UNKNOWN: 503,
    ErrorCode.SERVER_BUSY: 503,
    ErrorCode.UNKNOWN: 500,
}


@dataclass(frozen=True)
class BinanceError:
    status: int
    code: int
    msg: str

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def binance_error(
    code: int, msg: str, *, field: str | None = None, reason: str | None = None
) -> BinanceError:
    """The Binance status, code and text of a QuantX error (code, msg, field, reason)."""
    code = int(code)
    if reason == "LISTEN_KEY_UNKNOWN":
        return BinanceError(400, INVALID_LISTEN_KEY, "This listenKey does not exist.")
    if reason in _BY_REASON:
        code = _BY_REASON[reason]
        return BinanceError(400, code, _TEXTS.get(code, msg))
    if code == ErrorCode.NO_SUCH_ORDER and msg == "Order list does not exist.":
        return BinanceError(400, code, msg)
    field = binance_field(field)
    text = _TEXTS.get(code, msg)
    if code == ErrorCode.FILTER_FAILURE and reason in _FILTERS:
        text = f"Filter failure: {_FILTERS[reason]}"
    elif code == ErrorCode.NEW_ORDER_REJECTED:
        text = _REJECTIONS.get(reason or "", msg)
    elif code == ErrorCode.ILLEGAL_PARAMETER and field in _BAD_VALUE_CODES:
        code = _BAD_VALUE_CODES[field]
        text = _TEXTS[code]
    elif code == ErrorCode.ILLEGAL_PARAMETER and field:
        text = f"Illegal characters found in parameter '{field}'; {msg}"
    elif code == ErrorCode.MANDATORY_PARAM_MISSING and field:
        text = f"Mandatory parameter '{field}' was not sent, was empty/null, or malformed."
    elif code == ErrorCode.PARAMETER_NOT_REQUIRED and field:
        text = f"Parameter '{field}' sent when not required."
    elif code == ErrorCode.TIMESTAMP_OUTSIDE_RECV_WINDOW:
        ahead = reason == "AUTH_TIMESTAMP_IN_FUTURE"
        text = (
            "Timestamp for this request was 1000ms ahead of the server's time."
            if ahead
            else "Timestamp for this request is outside of the recvWindow."
        )
    elif code == ErrorCode.NOT_FOUND:
        return BinanceError(404, int(ErrorCode.DISABLED), "This operation is not supported.")
    return BinanceError(_STATUS.get(code, 400), code, text)


def binance_field(field: str | None) -> str | None:
    """A QuantX field name as Binance names the parameter (`stop_price` -> `stopPrice`, an OCO leg's
    `below_trailing_delta` -> `belowTrailingDelta`); Binance names pass through."""
    if field is None:
        return None
    if field in _FIELDS:
        return _FIELDS[field]
    where, _, rest = field.partition("_")
    if where in ("above", "below") and rest in _LEG_FIELDS:
        return where + _LEG_FIELDS[rest]
    return field


def binance_error_of(exc: Exception) -> BinanceError | None:
    """The Binance error of an exception raised while serving a request; None if not an API error."""
    if isinstance(exc, ApiError):
        if exc.error_code == ErrorCode.TOO_MANY_REQUESTS and exc.extra.get("reason") == "ORDER_COUNT":
            return BinanceError(429, TOO_MANY_ORDERS, exc.msg)
        if exc.error_code == ErrorCode.TOO_MANY_REQUESTS:
            return BinanceError(429, int(ErrorCode.TOO_MANY_REQUESTS), exc.msg)
        return binance_error(
            exc.error_code, exc.msg, field=exc.extra.get("field"), reason=exc.extra.get("reason")
        )
    if isinstance(exc, exceptions.MethodNotAllowed):
        return BinanceError(405, int(ErrorCode.DISABLED), "This operation is not supported.")
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return binance_error(ErrorCode.UNAUTHORIZED, str(exc))
    if isinstance(exc, exceptions.APIException):
        return BinanceError(
            exc.status_code if exc.status_code < 500 else 500, int(ErrorCode.UNKNOWN), str(exc.detail)
        )
    return None
