"""Project middleware."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from quantx_site.errors import ErrorCode

BINANCE_PREFIX = "/api/v3/"
"""The Binance-compatible facade keeps Binance's paths, which have no trailing slash."""


class ApiTrailingSlashMiddleware:
    """API paths end with a slash. Without one, the client gets a JSON 404 saying so, instead of
    CommonMiddleware's redirect: a redirected POST loses its body (and under DEBUG it is a 500).
    Binance's paths (/api/v3/...) are left alone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith("/api/") and not path.endswith("/") and not path.startswith(BINANCE_PREFIX):
            msg = f"No such endpoint. API paths end with a slash: {path}/"
            return JsonResponse({"code": int(ErrorCode.NOT_FOUND), "msg": msg}, status=404)
        return self.get_response(request)


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class UnknownQueryParamsMiddleware:
    """A write under /api/v1/ takes its input from the body: a query parameter it does not declare is
    refused with -1104, like an unknown body field (`POST /api/v1/orders/?test=true` must not place
    a real order). A view that reads its query on a write declares it: `write_query_params =
    {"DELETE": frozenset({"symbol", "side"})}`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if (
            request.method not in UNSAFE_METHODS
            or not request.path_info.startswith("/api/v1/")  # (Binance's /api/v3/ signs its query)
            or not request.GET
        ):
            return None
        view_class = getattr(view_func, "cls", None)
        if view_class is None or not hasattr(view_class, request.method.lower()):
            return None  # not a DRF view, or a method it does not take: DRF answers 405
        allowed = getattr(view_class, "write_query_params", {}).get(request.method, frozenset())
        unknown = sorted(set(request.GET) - set(allowed))
        if not unknown:
            return None
        name = unknown[0]
        return JsonResponse(
            {
                "code": int(ErrorCode.UNKNOWN_PARAMETER),
                "msg": f"{name}: Unknown query parameter.",
                "field": name,
            },
            status=400,
        )
