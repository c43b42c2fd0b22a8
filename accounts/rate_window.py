"""Fixed-window request counters for the throttles: one atomic round trip per counted request.

DRF's SimpleRateThrottle keeps a list of timestamps per client and does a cache GET and a SET of the
whole list on every request (two Redis round trips, and a list of up to `rate` floats pickled each
way). A counter needs one: on Redis a small Lua script does INCR and, for a new window, PEXPIRE
atomically and returns the count with the time left. A window starts at its key's first request and
lasts one period, so at most `rate` requests are counted per window (and at most twice that in any
period that straddles two windows).
"""

import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache

_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
"""


def window_hit(key: str, period: int) -> tuple[int, float]:
    """Counts one request under `key`; returns (requests counted in the current window including
    this one, seconds until the window ends). `period` is the window's length in seconds."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return _redis_hit(cache, key, period)
    return _local_hit(cache, key, period)


def _redis_hit(redis_cache: RedisCache, key: str, period: int) -> tuple[int, float]:
    full_key = redis_cache.make_and_validate_key(key)
    # Django's RedisCache has no INCR-with-expiry; its client (`_cache.get_client`) is the way in.
    client: Any = redis_cache._cache.get_client(full_key, write=True)
    # EVALSHA (the script is loaded once per Redis server, on the first NOSCRIPT).
    count, ttl_ms = client.register_script(_HIT)(keys=[full_key], args=[period * 1000])
    return int(count), max(int(ttl_ms), 0) / 1000


def _local_hit(cache: BaseCache, key: str, period: int) -> tuple[int, float]:
    """The same on any other cache (local memory: no round trips to save)."""
    now = time.time()
    if cache.add(key, 0, period):
        cache.set(f"{key}:end", now + period, period)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add and incr
        count = 1
        cache.set(key, count, period)
        cache.set(f"{key}:end", now + period, period)
    ends = cache.get(f"{key}:end", now + period)
    return count, max(ends - now, 0.0)
