"""Request weight per client address and minute, as Binance counts it (X-MBX-USED-WEIGHT-1M).

Counters live in the default cache (local memory embedded, Redis scaled: shared by every web
process), one key per address and minute. A request over the limit is refused with 429 -1003 and
Retry-After (the seconds left in the minute) and is not counted. Placing orders is also counted by
the `order_place` throttle, the same counter /api/v1/orders/ uses (ARCHITECTURE decision 11).
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework import status

from quantx_site.errors import ApiError, ErrorCode


def _key(ident: str, minute: int) -> str:
    return f"bn:weight:{ident}:{minute}"


def weight_take(ident: str, weight: int) -> int:
    """Adds `weight` to this minute's count of `ident`; returns the new count, or raises -1003."""
    now = time.time()
    minute = int(now // 60)
    key = _key(ident, minute)
    cache.add(key, 0, timeout=120)
    used = cache.incr(key, weight)
    limit = settings.BINANCE_WEIGHT_LIMIT_1M
    if used > limit:
        cache.decr(key, weight)
        retry = max(1, int(60 - now % 60))
        raise ApiError(
            ErrorCode.TOO_MANY_REQUESTS,
            f"Too much request weight used; current limit is {limit} request weight per 1 MINUTE. "
            "Please use WebSocket Streams for live updates to avoid polling the API.",
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            retry_after=retry,
        )
    return int(used)


def weight_used(ident: str) -> int:
    return int(cache.get(_key(ident, int(time.time() // 60)), 0))
