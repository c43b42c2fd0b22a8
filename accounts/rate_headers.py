"""Rate-limit usage on API responses: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`
and `RateLimit-Policy`, as draft-ietf-httpapi-ratelimit-headers-06 (December 2022) defines them.

They come from the very counter that throttles the request (accounts.throttling.ScopeRateThrottle
records what `window_hit` answered), so they cost no cache round trip: a request that no throttle
counted (no throttled scope, or a method the scope does not count) carries none of them, because
nothing limits it and there is no counter to report. When several throttles counted one request,
the one with the fewest requests left is reported (the draft: the closest limit).

- `RateLimit-Limit`: the requests the window allows (`order_place`: 6000 by default);
- `RateLimit-Remaining`: how many are left in the current window after this one (0 on a 429);
- `RateLimit-Reset`: seconds until the window ends, rounded up (at least 1): on a 429 it equals
  `Retry-After`, as both are the throttle's wait;
- `RateLimit-Policy`: `<limit>;w=<window seconds>`, e.g. `6000;w=60`.

Only under /api/v1/; the Binance-compatible facade answers Binance's own `X-MBX-USED-WEIGHT-1M`
and `X-MBX-ORDER-COUNT-*` headers instead (docs/binance-compat.md). The project sets no CORS
headers, so there is nothing to expose to browsers from other origins.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/v1/"
HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")


@dataclass(frozen=True, slots=True)
class RateUsage:
    limit: int
    remaining: int
    reset: int
    window: int


def reset_seconds(seconds_left: float) -> int:
    """Whole seconds until the window ends, as `Retry-After` says them (DRF rounds the wait up)."""
    return math.ceil(max(seconds_left, 1.0))


def rate_usage_record(request: Any, *, limit: int, count: int, seconds_left: float, window: int) -> None:
    """Remembers a throttle's count on the request for the response headers (see the module)."""
    http: HttpRequest = getattr(request, "_request", request)  # a DRF Request wraps the HttpRequest
    usage = RateUsage(limit, max(limit - count, 0), reset_seconds(seconds_left), window)
    current: RateUsage | None = getattr(http, "rate_limit_usage", None)
    if current is None or usage.remaining < current.remaining:
        http.rate_limit_usage = usage  # type: ignore[attr-defined]


class RateLimitHeadersMiddleware:
    """Adds the usage a throttle recorded to the response of an /api/v1/ request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        usage: RateUsage | None = getattr(request, "rate_limit_usage", None)
        if usage is not None and request.path_info.startswith(API_PREFIX):
            response["RateLimit-Limit"] = str(usage.limit)
            response["RateLimit-Remaining"] = str(usage.remaining)
            response["RateLimit-Reset"] = str(usage.reset)
            response["RateLimit-Policy"] = f"{usage.limit};w={usage.window}"
        return response


_HEADER_DOCS = {
    "RateLimit-Limit": "Requests allowed in the window of this operation's rate limit.",
    "RateLimit-Remaining": "Requests left in the current window after this one.",
    "RateLimit-Reset": "Seconds until the window ends (on a 429, equal to Retry-After).",
    "RateLimit-Policy": 'The limit and its window in seconds, e.g. "6000;w=60" (draft-06).',
}


def schema_rate_limit_headers(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS: every response of an operation a ScopeRateThrottle counts may carry the
    RateLimit-* headers (not required: a request refused before the throttle runs, a 401 say, has
    none). Which operations is read from the views' throttle classes, so the schema follows them."""
    from accounts.throttling import ScopeRateThrottle  # (settings import this module's middleware)

    paths = result.get("paths", {})
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or []:
        view = getattr(callback, "cls", None)
        throttles = getattr(view, "throttle_classes", ())
        if not any(
            issubclass(t, ScopeRateThrottle) and (t.methods is None or method in t.methods) for t in throttles
        ):
            continue
        operation = paths.get(path, {}).get(method.lower())
        if operation is None:
            continue
        for response in operation.get("responses", {}).values():
            headers = response.setdefault("headers", {})
            for name, description in _HEADER_DOCS.items():
                pattern = r"^[0-9]+;w=[0-9]+$" if name == "RateLimit-Policy" else r"^[0-9]+$"
                headers[name] = {"schema": {"type": "string", "pattern": pattern}, "description": description}
    return result
