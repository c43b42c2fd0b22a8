"""OHLCV candles from trades: SQL aggregation per period, then gap filling.

A period of an interval (1m ... 1d, each dividing a UTC day) is [open_time, open_time + interval);
open_time is a multiple of the interval since the Unix epoch, so periods align to UTC midnight. A
trade exactly on a boundary opens the new period. The database groups trades by period index
(floor(epoch seconds / interval seconds), exact: integer seconds, never floats) and returns
high, low, volumes, count and the first and last trade ids; open and close are those trades' prices.

Gap filling: a period without trades is a flat candle at the previous close with zero volume;
periods before the instrument's first trade are left out.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import BigIntegerField, Count, Func, Max, Min, Sum

from accounts.money import plain_decimal
from trading.models import Trade

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def trade_aggregates() -> dict[str, Any]:
    """OHLCV aggregates of a group of trades (open and close come from first_id / last_id):
    shared by candles and the 24h ticker."""
    return {
        "high": Max("price"),
        "low": Min("price"),
        "volume": Sum("qty"),
        "quote_volume": Sum("quote_qty"),
        "trades": Count("id"),
        "first_id": Min("id"),
        "last_id": Max("id"),
    }


@dataclass(slots=True)
class Candle:
    """One period's OHLCV. Times in ms since the Unix epoch (UTC)."""

    open_time: int
    interval_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int

    @classmethod
    def first(
        cls, open_time: int, interval_ms: int, price: Decimal, qty: Decimal, quote: Decimal
    ) -> "Candle":
        return cls(open_time, interval_ms, price, price, price, price, qty, quote, 1)

    @classmethod
    def flat(cls, open_time: int, interval_ms: int, close: Decimal) -> "Candle":
        return cls(open_time, interval_ms, close, close, close, close, Decimal(0), Decimal(0), 0)

    def add(self, price: Decimal, qty: Decimal, quote: Decimal) -> None:
        """One more trade, later than every trade already in the candle."""
        if price > self.high:
            self.high = price
        if price < self.low:
            self.low = price
        self.close = price
        self.volume += qty
        self.quote_volume += quote
        self.trades += 1

    def merge(self, later: "Candle") -> None:
        """Folds in a candle of later trades (building a long period from shorter ones)."""
        if later.trades == 0:
            return
        if self.trades == 0:
            self.open = later.open
            self.high, self.low = later.high, later.low
        else:
            self.high = max(self.high, later.high)
            self.low = min(self.low, later.low)
        self.close = later.close
        self.volume += later.volume
        self.quote_volume += later.quote_volume
        self.trades += later.trades

    def as_wire(self) -> dict[str, Any]:
        return {
            "open_time": self.open_time,
            "close_time": self.open_time + self.interval_ms - 1,
            "open": plain_decimal(self.open),
            "high": plain_decimal(self.high),
            "low": plain_decimal(self.low),
            "close": plain_decimal(self.close),
            "volume": plain_decimal(self.volume),
            "quote_volume": plain_decimal(self.quote_volume),
            "trades": self.trades,
        }


class PeriodIndex(Func):
    """floor(epoch seconds of a timestamp / interval seconds), in integer arithmetic on each database."""

    output_field = BigIntegerField()

    def __init__(self, expression: Any, seconds: int) -> None:
        super().__init__(expression)
        self.seconds = seconds

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        raise NotImplementedError(f"PeriodIndex has no SQL for {connection.vendor}")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC). Cut the fraction off before strftime:
        # SQLite would round 10:00:59.9996 up to 10:01:00 (it parses to the millisecond).
        return f"(CAST(strftime('%%s', substr({sql}, 1, 19)) AS INTEGER) / %s)", [*params, self.seconds]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(FLOOR(EXTRACT(EPOCH FROM {sql}))::bigint / %s)", [*params, self.seconds]


def ms_to_datetime(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def datetime_to_ms(value: datetime) -> int:
    """Whole milliseconds since the epoch (floor), in integer arithmetic."""
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def candle_buckets(*, instrument_id: int, interval_s: int, start_ms: int, end_ms: int) -> dict[int, Candle]:
    """Candles with at least one trade in [start_ms, end_ms), by open time: one GROUP BY query plus
    one query for the open and close prices."""
    interval_ms = interval_s * 1000
    rows = list(
        Trade.objects.filter(
            instrument_id=instrument_id,
            created_at__gte=ms_to_datetime(start_ms),
            created_at__lt=ms_to_datetime(end_ms),
        )
        .annotate(period=PeriodIndex("created_at", interval_s))
        .values("period")
        .annotate(**trade_aggregates())
        .order_by("period")
    )
    ids = {r["first_id"] for r in rows} | {r["last_id"] for r in rows}
    prices = dict(Trade.objects.filter(id__in=ids).values_list("id", "price")) if ids else {}
    return {
        r["period"] * interval_ms: Candle(
            open_time=r["period"] * interval_ms,
            interval_ms=interval_ms,
            open=prices[r["first_id"]],
            high=r["high"],
            low=r["low"],
            close=prices[r["last_id"]],
            volume=r["volume"],
            quote_volume=r["quote_volume"],
            trades=r["trades"],
        )
        for r in rows
    }


def last_price_before(*, instrument_id: int, before_ms: int) -> Decimal | None:
    """The price of the last trade before a time (the close a gap-filled series starts from)."""
    row = (
        Trade.objects.filter(instrument_id=instrument_id, created_at__lt=ms_to_datetime(before_ms))
        .order_by("-created_at", "-id")
        .values_list("price", flat=True)
        .first()
    )
    return row


def gap_filled(
    buckets: dict[int, Candle],
    *,
    first_open: int,
    last_open: int,
    interval_ms: int,
    close_before: Decimal | None,
) -> list[Candle]:
    """One candle per period from first_open to last_open (open times), filling empty periods flat
    at the previous close; periods before any trade are left out."""
    out: list[Candle] = []
    close = close_before
    for open_time in range(first_open, last_open + 1, interval_ms):
        candle = buckets.get(open_time)
        if candle is not None:
            out.append(candle)
            close = candle.close
        elif close is not None:
            out.append(Candle.flat(open_time, interval_ms, close))
    return out


def period_range(
    *, interval_ms: int, now_ms: int, start: int | None, end: int | None, limit: int
) -> tuple[int, int] | None:
    """Open times (first, last) of the candles a query asks for, or None if there are none.

    Candles whose open time lies in [start, end] (both optional, ms), never later than the period
    in progress at now_ms; at most `limit` of them, counted from `start` if given, else ending at
    `end` (or now).
    """
    current = now_ms // interval_ms * interval_ms
    last = current if end is None else min(current, end // interval_ms * interval_ms)
    if start is not None:
        first = -(-start // interval_ms) * interval_ms  # the first open time >= start
        last = min(last, first + (limit - 1) * interval_ms)
    else:
        first = last - (limit - 1) * interval_ms
    return (first, last) if first <= last else None


def candles_query(
    *, instrument_id: int, interval_s: int, now_ms: int, start: int | None, end: int | None, limit: int
) -> list[Candle]:
    """The gap-filled candles of a query (see period_range), oldest first."""
    interval_ms = interval_s * 1000
    span = period_range(interval_ms=interval_ms, now_ms=now_ms, start=start, end=end, limit=limit)
    if span is None:
        return []
    first, last = span
    buckets = candle_buckets(
        instrument_id=instrument_id, interval_s=interval_s, start_ms=first, end_ms=last + interval_ms
    )
    close_before = last_price_before(instrument_id=instrument_id, before_ms=first)
    return gap_filled(
        buckets, first_open=first, last_open=last, interval_ms=interval_ms, close_before=close_before
    )


def candle_rollup(candles: Iterable[Candle], *, open_time: int, interval_ms: int) -> Candle | None:
    """One candle of a longer period folded from shorter candles in time order (None if no trade)."""
    out: Candle | None = None
    for c in candles:
        if c.trades == 0:
            continue
        if out is None:
            out = replace(c, open_time=open_time, interval_ms=interval_ms)
        else:
            out.merge(c)
    return out
