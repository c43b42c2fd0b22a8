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


class CancelTimer(models.Model):
    """A dead-man's switch as the engine last committed it (engine.worker.timers), one row per user,
    kind and scope, written in each batch's transaction like balances: absolute values, upserted.

    CANCEL_AFTER: `symbol` is the scope ("" = every symbol), `deadline_ms` the moment the engine
    cancels the user's open orders in scope (null: disarmed), `timeout_ms` what it was armed with.
    CANCEL_ON_DISCONNECT: one row per user (`symbol` ""), `sockets` the user's live sockets that
    asked for it (leases the web processes renew), `deadline_ms` set once the last one is gone (the
    grace period, `timeout_ms`). A restarted worker loads these rows, so it neither forgets an armed
    timer nor fires a disarmed one.
    """

    class Kind(models.TextChoices):
        CANCEL_AFTER = "CANCEL_AFTER"
        CANCEL_ON_DISCONNECT = "CANCEL_ON_DISCONNECT"

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="cancel_timers")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    symbol = models.CharField(max_length=20, blank=True, default="", help_text='"" = every symbol.')
    deadline_ms = models.BigIntegerField(
        null=True, blank=True, help_text="ms since the epoch; null = disarmed."
    )
    timeout_ms = models.BigIntegerField(default=0)
    sockets = models.IntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "symbol"], name="cancel_timer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.symbol or '*'} of user {self.user_id}: {self.deadline_ms}"
