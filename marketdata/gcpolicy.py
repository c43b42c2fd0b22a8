"""Keeps CPython's full garbage collections short in a web process that holds many WebSockets.

Measured (bench/ws_fanout.py, 1000 sockets): daphne tracks ~340k objects, and each automatic
full (generation 2) collection stops the process for ~200 ms, every few seconds under fan-out
load: that, not the fan-out, was the p99 latency. docs/architecture.md lists the remedy for the
engine's books, `gc.freeze()`: frozen objects are never scanned.

Long-lived objects here are the sockets', created at any time, and a frozen object that becomes
garbage (a closed socket's cycles) is only reclaimed once unfrozen. So, on each hub tick:
- collect the young generations and freeze the survivors (young objects only: a few ms);
- when as many sockets opened or closed since the last full collection as were open then (at
  least MIN_CHURN), or FULL_EVERY_SECONDS passed, unfreeze, collect everything once and freeze
  again: memory stays bounded however sockets come and go, and a process whose sockets stay pays
  one full collection per ten minutes instead of one every few seconds.
The policy counts sockets, not objects: counting frozen objects (`gc.get_freeze_count`) walks them
all, which costs as much as the pause it would avoid.
"""

import gc
import logging
import time

log = logging.getLogger("quantx.marketdata")

FULL_EVERY_SECONDS = 600.0
MIN_CHURN = 100


class GcPolicy:
    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.last_full = time.monotonic()
        self.sockets_at_full = 0
        self.churn = 0  # sockets opened + closed since the last full collection

    def socket_opened(self) -> None:
        self.churn += 1

    def socket_closed(self) -> None:
        self.churn += 1

    def tick(self, sockets: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last_full >= FULL_EVERY_SECONDS or self.churn >= max(self.sockets_at_full, MIN_CHURN):
            started = time.perf_counter()
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.last_full, self.sockets_at_full, self.churn = now, sockets, 0
            log.info(
                "marketdata: full garbage collection in %.0f ms (%d sockets)",
                (time.perf_counter() - started) * 1000,
                sockets,
            )
        else:
            gc.collect(1)
            gc.freeze()
