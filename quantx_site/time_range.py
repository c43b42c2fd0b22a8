"""`start_time` / `end_time` on the lists of a user's history (orders, trades, ledger), as Binance.

Both are milliseconds since the Unix epoch (UTC), both inclusive (Binance's `startTime`/`endTime`:
rows with `startTime <= time <= endTime`), each optional. They filter the rows before the cursor
pagination pages them, so `next`/`previous` (which keep the query string) stay within the range.
Values are digits only, 0 to 253402300799999 (9999-12-31T23:59:59.999Z), and `start_time` may not be
after `end_time`; anything else is 400 -1100 with the parameter in `field`.
"""

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from rest_framework import serializers

MAX_TIME_MS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z: the last millisecond a datetime can hold."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
M = TypeVar("M", bound=Model)


class TimeRangeQueryMixin(serializers.Serializer):
    """Query fields `start_time` and `end_time` (ms, inclusive); mix into a StrictSerializer."""

    start_time = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_TIME_MS,
        help_text="Only rows at or after this time: ms since the Unix epoch (UTC), inclusive.",
    )
    end_time = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_TIME_MS,
        help_text="Only rows at or before this time: ms since the Unix epoch (UTC), inclusive.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        start, end = attrs.get("start_time"), attrs.get("end_time")
        if start is not None and end is not None and start > end:
            raise serializers.ValidationError({"start_time": "Must not be after end_time."})
        return attrs


def ms_to_datetime(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def time_range_filter(
    rows: QuerySet[M], *, field: str, start_ms: int | None, end_ms: int | None
) -> QuerySet[M]:
    """`rows` whose `field` (a datetime) lies in [start_ms, end_ms]; an end is inclusive to the whole
    millisecond (stored times have microseconds: `< end_ms + 1 ms`)."""
    if start_ms is not None:
        rows = rows.filter(**{f"{field}__gte": ms_to_datetime(start_ms)})
    if end_ms is not None and end_ms < MAX_TIME_MS:  # (the last millisecond has no successor)
        rows = rows.filter(**{f"{field}__lt": ms_to_datetime(end_ms + 1)})
    return rows
