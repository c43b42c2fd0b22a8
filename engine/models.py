"""What the engine worker keeps beside orders and trades so a restart continues where it stopped."""

from django.db import models

from accounts.money import MoneyField


class SymbolState(models.Model):
    """Per-instrument market sequence and last trade price, written in each batch's transaction.

    Kept apart from `Instrument` so a staff edit of an instrument in admin (a full-row save) can
    never overwrite the engine's counters with stale values.
    """

    instrument = models.OneToOneField(
        "trading.Instrument", on_delete=models.CASCADE, related_name="engine_state"
    )
    seq = models.BigIntegerField(default=0, help_text="Last market-data sequence number used.")
    last_price = MoneyField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.instrument_id} seq {self.seq}"


class WriterFence(models.Model):
    """The single-writer fence: one row whose `epoch` each starting worker increments.

    Every batch transaction first checks (and row-locks) the epoch it started with, so a worker
    that a newer one replaced can never commit again, and the newer one's increment waits for any
    batch transaction of the old one still in flight (engine.worker.lock).
    """

    epoch = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"writer epoch {self.epoch}"
