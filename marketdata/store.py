"""The market data the engine leaves in the Django cache for readers (locmem embedded, Redis scaled).

Per symbol, written by the engine after each committed batch and BEFORE it publishes that batch:
- the depth snapshot (top SNAPSHOT_LEVELS levels per side as integer ticks and lots, with the
  instrument's tick and lot, and the market seq it is consistent with);
- the batch's update record (its depth changes and trades, with seq and prev_seq), kept for
  UPDATES_WINDOW batches so `updates/?since_seq=` can replay them;
- the window index: the seqs of those records, oldest first.

Readers never ask the engine. Because a snapshot is written before the batch is published, a
WebSocket subscriber that joins the stream first and then reads the snapshot misses nothing.
The cache is not the record: when a value is missing (a Redis restart, an idle day), readers fall
back to the database (marketdata.selectors).
"""

import logging
from typing import Any, TypedDict

from django.core.cache import cache

from marketdata.protocol import (
    CACHE_TTL_SECONDS,
    snapshot_cache_key,
    update_cache_key,
    window_cache_key,
)

log = logging.getLogger("quantx.marketdata")


class CachedDepth(TypedDict):
    seq: int
    tick: str
    lot: str
    bids: list[tuple[int, int]]
    asks: list[tuple[int, int]]


class UpdateRecord(TypedDict):
    """One batch's changes to one symbol: what a depth and a trades update carried."""

    seq: int
    prev_seq: int
    time: int
    bids: list[list[str]]
    asks: list[list[str]]
    checksum: int
    trades: list[dict[str, Any]]


def store_write(values: dict[str, Any]) -> bool:
    """Writes the engine's values in one round trip; False (logged) if the cache is down."""
    try:
        cache.set_many(values, timeout=CACHE_TTL_SECONDS)
    except Exception:
        log.warning("marketdata: could not write %d values to the cache", len(values), exc_info=True)
        return False
    return True


def window_load(symbol: str) -> list[int]:
    """The window index as a restarted engine finds it (empty if missing or unreadable)."""
    try:
        value = cache.get(window_cache_key(symbol))
    except Exception:
        log.warning("marketdata: could not read the update window of %s", symbol, exc_info=True)
        return []
    return list(value) if isinstance(value, list) else []


def depth_read(symbol: str) -> CachedDepth | None:
    try:
        value: CachedDepth | None = cache.get(snapshot_cache_key(symbol))
    except Exception:
        log.warning("marketdata: cache read failed for %s depth", symbol, exc_info=True)
        return None
    return value


def depth_read_many(symbols: list[str]) -> dict[str, CachedDepth]:
    try:
        values = cache.get_many([snapshot_cache_key(s) for s in symbols])
    except Exception:
        log.warning("marketdata: cache read failed for depth of %d symbols", len(symbols), exc_info=True)
        return {}
    return {s: values[snapshot_cache_key(s)] for s in symbols if snapshot_cache_key(s) in values}


def updates_read(symbol: str, since_seq: int) -> tuple[list[int], list[UpdateRecord | None]] | None:
    """The window's seqs after since_seq and their records (None where a record is missing), or
    None if there is no window at all."""
    try:
        window = cache.get(window_cache_key(symbol))
        if not isinstance(window, list):
            return None
        wanted = [s for s in window if s > since_seq]
        found = cache.get_many([update_cache_key(symbol, s) for s in wanted]) if wanted else {}
    except Exception:
        log.warning("marketdata: cache read failed for %s updates", symbol, exc_info=True)
        return None
    return window, [found.get(update_cache_key(symbol, s)) for s in wanted]
