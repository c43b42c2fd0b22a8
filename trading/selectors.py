"""Reads of trading data. Views and APIs call these; they never query models directly."""

from django.db.models import QuerySet

from trading.models import Instrument


def instrument_list() -> QuerySet[Instrument]:
    return Instrument.objects.select_related("base", "quote").order_by("symbol")
