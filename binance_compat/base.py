"""The facade's base view: Binance parameters, signing, weights and errors around thin handlers.

Each endpoint declares its `security` (NONE, USER_STREAM: key only, SIGNED: key + signature) and its
request `weight`; a key needs READ to read and TRADE to change anything (`scope_for`). Handlers get
`self.params` (query string and form body together) and `self.account` (the key's user), call one
selector or service and return data
already in Binance's shape (binance_compat.encode). Any error leaves as `{"code", "msg"}` with
Binance's status (binance_compat.errors); every response carries X-MBX-USED-WEIGHT-1M.
"""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts.models import ApiKey, ApiKeyScope, User
from accounts.throttling import ScopeRateThrottle
from binance_compat.auth import HEADER_KEY, key_from_header, scope_check, signed_key
from binance_compat.errors import binance_error_of
from binance_compat.limits import weight_take, weight_used
from binance_compat.params import Params, parse_pairs
from quantx_site.errors import ApiError, ErrorCode

NONE, USER_STREAM, SIGNED = "NONE", "USER_STREAM", "SIGNED"
FORM = "application/x-www-form-urlencoded"


class OrderCountThrottle(ScopeRateThrottle):
    """New orders per user: the `order_place` scope, the very counter /api/v1/orders/ uses."""

    scope = "order_place"


class BinanceApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    schema = None  # Binance documents this API; QuantX's OpenAPI schema covers /api/v1/ only
    security = NONE
    weight = 1

    params: Params
    user: User | None = None
    api_key: ApiKey | None = None
    ident: str | None = None
    used_weight: int | None = None
    order_count: tuple[str, int] | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # DRF's client address: X-Forwarded-For is trusted only behind our proxy (NUM_PROXIES).
        self.ident = BaseThrottle().get_ident(request)
        self.used_weight = weight_take(self.ident, self.weight_of(request))
        query = request._request.META.get("QUERY_STRING", "")
        body = form_body(request._request)
        self.params = Params(parse_pairs(query, body))
        header = request._request.headers.get(HEADER_KEY)
        if self.security == SIGNED:
            api_key = signed_key(header=header, params=self.params, query=query, body=body)
        elif self.security == USER_STREAM:
            api_key = key_from_header(header)
        else:
            return
        scope_check(api_key, self.scope_for(request))
        self.api_key, self.user = api_key, api_key.user

    @property
    def account(self) -> User:
        """The authenticated user (SIGNED and USER_STREAM endpoints authenticate in `initial`)."""
        assert self.user is not None
        return self.user

    def weight_of(self, request: Request) -> int:
        return self.weight

    def scope_for(self, request: Request) -> str:
        """The key scope a request needs: READ to read, TRADE to change anything."""
        return ApiKeyScope.READ if request.method in ("GET", "HEAD") else ApiKeyScope.TRADE

    def count_order(self, request: Request) -> None:
        """Counts a new order against `order_place` (429 -1015 when over it), for X-MBX-ORDER-COUNT."""
        throttle = OrderCountThrottle()
        request.user = self.user  # the throttle keys on the user
        if not throttle.allow_request(request, self):
            raise ApiError(
                ErrorCode.TOO_MANY_REQUESTS,
                f"Too many new orders; current limit is {throttle.num_requests} orders per "
                f"{throttle.duration} seconds.",
                reason="ORDER_COUNT",
                retry_after=max(1, int(throttle.wait() or 1)),
            )
        unit = {1: "1S", 60: "1M", 3600: "1H", 86400: "1D"}.get(int(throttle.duration or 60), "1M")
        self.order_count = (unit, throttle.count)

    def handle_exception(self, exc: Exception) -> Response:
        error = binance_error_of(exc)
        if error is None:
            raise exc  # not an API error: Django's handler500 logs it and answers -1000
        response = Response(error.body(), status=error.status)
        retry_after = exc.extra.get("retry_after") if isinstance(exc, ApiError) else None
        if retry_after is None and error.status == 429:
            retry_after = getattr(exc, "wait", None)
        if retry_after is not None:
            response["Retry-After"] = str(int(retry_after))
        return response

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.used_weight is None and self.ident is not None:  # refused for its weight
            self.used_weight = weight_used(self.ident)
        if self.used_weight is not None:
            response["X-MBX-USED-WEIGHT-1M"] = str(self.used_weight)
        if self.order_count is not None:
            response[f"X-MBX-ORDER-COUNT-{self.order_count[0]}"] = str(self.order_count[1])
        return response


def form_body(request: HttpRequest) -> str:
    """The form body as text; a body of another type is refused (Binance takes forms only)."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(ErrorCode.ILLEGAL_PARAMETER, "Request body too large.") from None
    if not raw:
        return ""
    content_type = request.content_type or ""
    if content_type not in ("", FORM):
        raise ApiError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE, f"Parameters must be sent as {FORM} (or in the query string)."
        )
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise ApiError(ErrorCode.MALFORMED_REQUEST, "The body must be url-encoded ASCII.") from None


class NotSupportedApi(BinanceApi):
    """Any other /api/v3/ path: 404 -1020 "This operation is not supported." (never -1125, which
    Binance clients read as "listenKey does not exist")."""

    def _refuse(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise ApiError(ErrorCode.NOT_FOUND, "Not found.")

    get = post = put = delete = patch = _refuse
