"""A saved or deleted instrument drops this process's instrument cache (trading.selectors)."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from trading.models import Instrument
from trading.selectors import instruments_cache_clear


@receiver([post_save, post_delete], sender=Instrument, dispatch_uid="trading.instruments_cache_clear")
def _instrument_changed(**kwargs: Any) -> None:
    instruments_cache_clear()
