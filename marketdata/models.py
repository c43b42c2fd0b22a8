"""What the market-data publisher keeps in the database: each user's private-stream sequences."""

from django.conf import settings
from django.db import models


class StreamSeq(models.Model):
    """The last seq used on a user's private `orders` and `balances` streams.

    Written by the engine worker after each committed batch (before it publishes), so a restarted
    worker continues both sequences where they stopped instead of reusing numbers clients have seen.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stream_seq")
    orders_seq = models.BigIntegerField(default=0)
    balances_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"user {self.user_id}: orders {self.orders_seq}, balances {self.balances_seq}"
