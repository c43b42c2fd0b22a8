"""Project middleware."""

from collections.abc import Callable

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
