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
