"""The one seam between web code and the engine: send a command, map its outcome to API errors.

Every module that sends the engine a command (the trading and account services, the faucet, staff
actions, admin, `verify_ledger`) calls `engine_send`, which calls `engine.client.seam.
engine_request_sync`: the one place tests replace (tests/engine_spy.py). Refusals keep the
engine's stage-prefixed reason (`RISK_INSUFFICIENT_FUNDS`, `FILTER_LOT_SIZE`, ...) in the error's
`reason`; `engine_refusal_error` maps each to its HTTP status and catalogue code, once
(docs/api.md "Reasons").
"""

import logging
from typing import Any

from rest_framework import status

from engine.client import seam
from engine.client.protocol import Command, Reply
from quantx_site.errors import ApiError, ErrorCode

log = logging.getLogger("quantx.engine")

UNKNOWN_MSG = "Status unknown: the engine did not answer in time. Look the outcome up before retrying."

_REFUSALS: dict[str, tuple[ErrorCode, int]] = {
    "WORKER_UNKNOWN_SYMBOL": (ErrorCode.BAD_SYMBOL, status.HTTP_400_BAD_REQUEST),
    "MATCHING_UNKNOWN_SYMBOL": (ErrorCode.BAD_SYMBOL, status.HTTP_400_BAD_REQUEST),
    "FILTER_BAD_PARAMS": (ErrorCode.ILLEGAL_PARAMETER, status.HTTP_400_BAD_REQUEST),
    "RISK_BAD_AMOUNT": (ErrorCode.ILLEGAL_PARAMETER, status.HTTP_400_BAD_REQUEST),
    "RISK_UNKNOWN_ASSET": (ErrorCode.ILLEGAL_PARAMETER, status.HTTP_400_BAD_REQUEST),
    "WORKER_UNKNOWN_ASSET": (ErrorCode.ILLEGAL_PARAMETER, status.HTTP_400_BAD_REQUEST),
    "WORKER_BAD_COMMAND": (ErrorCode.ILLEGAL_PARAMETER, status.HTTP_400_BAD_REQUEST),
    "WORKER_INTERNAL": (ErrorCode.UNKNOWN, status.HTTP_503_SERVICE_UNAVAILABLE),
}


def engine_send(command: Command, *, unknown_msg: str = UNKNOWN_MSG, **extra: Any) -> Reply:
    """Sends one command and returns the engine's reply, ok or refused (see `engine_refusal_error`).

    No reply in time: 503, code -1007, `unknown_msg` (the outcome is unknown: say how to find out).
    Queue full: 503, code -1008 (nothing was done; retry). `extra` fields go into both bodies.
    """
    try:
        reply = seam.engine_request_sync(command)  # looked up at call time: the one place tests replace
    except seam.EngineUnavailable:
        log.warning("engine: no reply to %s in time", command.get("op"))
        raise ApiError(
            ErrorCode.STATUS_UNKNOWN, unknown_msg, status_code=status.HTTP_503_SERVICE_UNAVAILABLE, **extra
        ) from None
    except seam.EngineBusy:
        raise ApiError(
            ErrorCode.SERVER_BUSY,
            "The engine is busy; nothing was done. Retry shortly.",
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            **extra,
        ) from None
    return reply


def engine_refusal_error(reply: Reply, *, default: ErrorCode, **extra: Any) -> ApiError:
    """The API error for a refused reply `{"ok": false, "reason", "msg"}`; the reason is kept as is.

    FILTER_* -> -1013; unknown symbol -> -1121; malformed amounts/assets -> -1100; WORKER_INTERNAL
    (nothing written, retry) -> 503 -1000; anything else -> `default` (what the operation's own
    rejection code is: -2010 place, -2011 cancel, -2038 amend), all 400.
    """
    reason = str(reply.get("reason") or "WORKER_INTERNAL")
    msg = str(reply.get("msg") or reason)
    if reason in _REFUSALS:
        code, status_code = _REFUSALS[reason]
    elif reason.startswith("FILTER_"):
        code, status_code = ErrorCode.FILTER_FAILURE, status.HTTP_400_BAD_REQUEST
    else:
        code, status_code = default, status.HTTP_400_BAD_REQUEST
    if reason == "WORKER_BAD_COMMAND":
        log.error("engine refused a command built by the API (a bug): %s", msg)
    return ApiError(code, msg, status_code=status_code, reason=reason, **extra)
