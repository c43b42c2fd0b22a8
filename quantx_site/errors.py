"""The one error shape of the API: HTTP status + {"code": <int>, "msg": <text>, ...}.

The catalogue (`ErrorCode`) is documented in docs/errors.md; numbers follow Binance's where one
exists, so client libraries written for it read ours without surprise. Every DRF exception is
mapped here, once; services raise `ApiError` (or a subclass) with a code and never build responses.
"""

import logging
from collections.abc import Mapping
from enum import IntEnum
from typing import Any

import redis.exceptions
from django import db
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response

log = logging.getLogger(__name__)


class ErrorCode(IntEnum):
    UNKNOWN = -1000
    UNAUTHORIZED = -1002
    TOO_MANY_REQUESTS = -1003
    STATUS_UNKNOWN = -1007
    SERVER_BUSY = -1008
    FILTER_FAILURE = -1013
    DISABLED = -1020
    TIMESTAMP_OUTSIDE_RECV_WINDOW = -1021
    BAD_SIGNATURE = -1022
    ILLEGAL_PARAMETER = -1100
    MALFORMED_REQUEST = -1101
    MANDATORY_PARAM_MISSING = -1102
    UNKNOWN_PARAMETER = -1104
    PARAMETER_NOT_REQUIRED = -1106
    METHOD_NOT_ALLOWED = -1107
    UNSUPPORTED_MEDIA_TYPE = -1108
    NOT_ACCEPTABLE = -1109
    BAD_PRECISION = -1111
    BAD_INTERVAL = -1120
    BAD_SYMBOL = -1121
    NOT_FOUND = -1125
    RESYNC_REQUIRED = -1140
    NEW_ORDER_REJECTED = -2010
    CANCEL_REJECTED = -2011
    NO_SUCH_ORDER = -2013
    BAD_API_KEY_FORMAT = -2014
    REJECTED_API_KEY = -2015
    ORDER_AMEND_REJECTED = -2038


class ApiError(exceptions.APIException):
    """An error with a catalogue code; `extra` adds fields such as "field" or "reason"."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, code: ErrorCode, msg: str, *, status_code: int | None = None, **extra: Any) -> None:
        super().__init__(detail=msg)
        self.error_code = code
        self.msg = msg
        self.extra = extra
        if status_code is not None:
            self.status_code = status_code


def body_too_large() -> ApiError:
    """413 -1100: the body is over DATA_UPLOAD_MAX_MEMORY_SIZE, whatever the authentication."""
    return ApiError(
        ErrorCode.ILLEGAL_PARAMETER,
        f"Request body too large (limit {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes).",
        status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


_VALIDATION_CODES = {
    "required": ErrorCode.MANDATORY_PARAM_MISSING,
    "null": ErrorCode.MANDATORY_PARAM_MISSING,
    "blank": ErrorCode.MANDATORY_PARAM_MISSING,
    "unknown_field": ErrorCode.UNKNOWN_PARAMETER,
    "max_decimal_places": ErrorCode.BAD_PRECISION,
    "unknown_symbol": ErrorCode.BAD_SYMBOL,
    "bad_interval": ErrorCode.BAD_INTERVAL,
    "filter": ErrorCode.FILTER_FAILURE,
}

_EXCEPTION_CODES: list[tuple[type[exceptions.APIException], ErrorCode]] = [
    (exceptions.ParseError, ErrorCode.MALFORMED_REQUEST),
    (exceptions.NotAuthenticated, ErrorCode.UNAUTHORIZED),
    (exceptions.AuthenticationFailed, ErrorCode.UNAUTHORIZED),
    (exceptions.PermissionDenied, ErrorCode.UNAUTHORIZED),
    (exceptions.NotFound, ErrorCode.NOT_FOUND),
    (exceptions.MethodNotAllowed, ErrorCode.METHOD_NOT_ALLOWED),
    (exceptions.NotAcceptable, ErrorCode.NOT_ACCEPTABLE),
    (exceptions.UnsupportedMediaType, ErrorCode.UNSUPPORTED_MEDIA_TYPE),
    (exceptions.Throttled, ErrorCode.TOO_MANY_REQUESTS),
]


def _first_error(detail: Any, path: str = "") -> tuple[str, exceptions.ErrorDetail | str]:
    """Walks DRF's nested validation detail to the first message and the dotted field it belongs to."""
    if isinstance(detail, Mapping):
        key, value = next(iter(detail.items()))
        field = "" if key in ("non_field_errors", "detail") else (f"{path}.{key}" if path else str(key))
        return _first_error(value, field or path)
    if isinstance(detail, list) and detail:
        return _first_error(detail[0], path)
    return path, detail


def _validation_body(exc: exceptions.ValidationError) -> dict[str, Any]:
    field, message = _first_error(exc.detail)
    code = _VALIDATION_CODES.get(getattr(message, "code", ""), ErrorCode.ILLEGAL_PARAMETER)
    body: dict[str, Any] = {"code": int(code), "msg": f"{field}: {message}" if field else str(message)}
    if field:
        body["field"] = field
    return body


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF EXCEPTION_HANDLER: every API error leaves in the one shape."""
    # Imported here: rest_framework.views loads the authentication classes, which import this module.
    from rest_framework.views import exception_handler

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        exc = body_too_large()
    elif isinstance(exc, _OUTAGES):
        exc = _outage(exc, context)
    response = exception_handler(exc, context)
    if response is None:
        return None  # not an API exception: Django's handler500 (JSON, code -1000) answers
    if isinstance(exc, ApiError):
        body = {"code": int(exc.error_code), "msg": exc.msg, **exc.extra}
    elif isinstance(exc, exceptions.ValidationError):
        body = _validation_body(exc)
    else:
        code = next((c for cls, c in _EXCEPTION_CODES if isinstance(exc, cls)), ErrorCode.UNKNOWN)
        detail = getattr(exc, "detail", exc)
        if isinstance(detail, Mapping):  # simplejwt: {"detail": ..., "code": ..., "messages": [...]}
            detail = detail.get("detail", next(iter(detail.values()), ""))
        body = {"code": int(code), "msg": str(detail)}
    response.data = body
    return response


_OUTAGES = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    db.OperationalError,
    db.InterfaceError,
)
"""A backing service (Redis: cache, throttles, channel layer; the database) is down or restarting."""


def _outage(exc: Exception, context: dict[str, Any]) -> ApiError:
    """503 instead of a 500 while Redis or the database restarts. A write's outcome is unknown
    (-1007: look it up before retrying); a read did nothing (-1008: retry)."""
    log.warning("API: a backing service is unavailable: %r", exc)
    request = context.get("request")
    if request is not None and request.method in ("GET", "HEAD", "OPTIONS"):
        return ApiError(
            ErrorCode.SERVER_BUSY, "A backing service is unavailable; retry shortly.",
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )  # fmt: skip
    return ApiError(
        ErrorCode.STATUS_UNKNOWN,
        "A backing service is unavailable; the outcome is unknown. Look it up before retrying.",
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
    )


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's own 400s (raised before or around DRF: a body over DATA_UPLOAD_MAX_MEMORY_SIZE,
    too many fields, a bad Host) in the API's shape, whatever authentication the request used."""
    if not _wants_json(request):
        return defaults.bad_request(request, exception)  # type: ignore[arg-type]
    if isinstance(exception, RequestDataTooBig):
        error = body_too_large()
        return JsonResponse({"code": int(error.error_code), "msg": error.msg}, status=error.status_code)
    return JsonResponse({"code": int(ErrorCode.MALFORMED_REQUEST), "msg": "Bad request."}, status=400)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"code": int(ErrorCode.NOT_FOUND), "msg": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def handler500(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"code": int(ErrorCode.UNKNOWN), "msg": "Internal error."}, status=500)
    return render(request, "500.html", status=500)
