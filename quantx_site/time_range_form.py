"""The history pages' "From" / "To" filters: what a trader types, turned into the API's range.

The orders, fills and ledger pages (and their CSV exports) filter by time with the same selectors
and the same `start_time` / `end_time` milliseconds as the REST lists (quantx_site.time_range): this
module only reads dates in UTC, as the pages show them, and checks the result with the API's own
`TimeRangeQueryMixin`, so a page and an API client accept the same ranges.

A value is a date (`2026-12-01`) or a date and time (`2026-12-01T14:30`, seconds optional; the
browser's datetime-local input sends the `T` form). Both ends are inclusive to what was typed: "To
2026-12-01" takes the whole day, "To 14:30" the whole minute, as a trader reads them.
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from rest_framework.exceptions import ValidationError as DrfValidationError

from quantx_site.serializers import StrictSerializer, validated
from quantx_site.time_range import TimeRangeQueryMixin

_FORMATS = (  # (strptime format, how long the typed value lasts in ms)
    ("%Y-%m-%dT%H:%M:%S", 1000),
    ("%Y-%m-%dT%H:%M", 60_000),
    ("%Y-%m-%d", 86_400_000),
)
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
BAD_DATE = "Enter a date like 2026-12-01, or a date and time like 2026-12-01 14:30 (UTC)."
OUT_OF_RANGE = "Enter a date from 1970-01-01 to 9999-12-31."
START_AFTER_END = "Must not be after “To”."


class _TimeRangeQuery(TimeRangeQueryMixin, StrictSerializer):
    """The API's `start_time` / `end_time` check (bounds, start <= end), alone."""


class DateTimeLocalInput(forms.TextInput):
    """A datetime-local input; a typed date alone is shown as the first (or, for an end, the last)
    minute of that day, which means the same range."""

    input_type = "datetime-local"

    def __init__(self, *, day_end: bool = False) -> None:
        super().__init__(attrs={"autocomplete": "off"})
        self.day_end = day_end

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, str):
            value = value.strip().replace(" ", "T", 1)
            if _DATE_ONLY.fullmatch(value):
                return value + ("T23:59" if self.day_end else "T00:00")
        return super().format_value(value)


def _parse(text: str) -> tuple[int, int] | None:
    """(first ms, last ms) of what `text` names, in UTC; None when it is not a date."""
    text = text.strip().replace(" ", "T", 1)
    for fmt, length in _FORMATS:
        try:
            moment = datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        first = (moment - _EPOCH) // _MS
        return first, first + length - 1
    return None


class TimeRangeFormMixin(forms.Form):
    """Adds "From" (`start`) and "To" (`end`) to a filter form; after `is_valid()`,
    `cleaned_data["start_ms"]` / `["end_ms"]` are the API's `start_time` / `end_time` (or None)."""

    start = forms.CharField(required=False, max_length=32, label="From (UTC)", widget=DateTimeLocalInput())
    end = forms.CharField(
        required=False, max_length=32, label="To (UTC)", widget=DateTimeLocalInput(day_end=True)
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        ends: dict[str, int | None] = {"start": None, "end": None}
        for name in ends:
            text = data.get(name) or ""
            if not text.strip():
                continue
            span = _parse(text)
            if span is None:
                self.add_error(name, BAD_DATE)
            else:
                ends[name] = span[0] if name == "start" else span[1]
        start_ms, end_ms = ends["start"], ends["end"]
        query = {key: ms for key, ms in (("start_time", start_ms), ("end_time", end_ms)) if ms is not None}
        try:
            validated(_TimeRangeQuery, query)
        except DrfValidationError as exc:
            for key, details in exc.detail.items():  # type: ignore[union-attr]
                codes = {getattr(d, "code", "") for d in details}
                words = OUT_OF_RANGE if codes & {"min_value", "max_value"} else START_AFTER_END
                self.add_error("start" if key == "start_time" else "end", words)
            start_ms = end_ms = None
        data["start_ms"], data["end_ms"] = start_ms, end_ms
        return data
