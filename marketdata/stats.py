"""The engine's running 24 h ticker and current candles of one symbol, kept in memory.

Loaded once from the database (one GROUP BY over the last day's trades by minute) the first time a
symbol is touched after the worker starts, then updated from each batch's trades, so publishing a
ticker or a candle costs no query. The ticker's window is the 1440 one-minute periods ending with
the current one (the same definition the REST ticker computes in SQL, marketdata.selectors).
"""

from collections import OrderedDict
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from accounts.money import plain_decimal
from marketdata.candles import Candle, candle_buckets, candle_rollup
from marketdata.protocol import INTERVALS

MINUTE_MS = 60_000
TICKER_MINUTES = 1440


def ticker_window_start(now_ms: int) -> int:
    """Open time of the oldest minute in the 24 h ticker window at now_ms."""
    return (now_ms // MINUTE_MS - (TICKER_MINUTES - 1)) * MINUTE_MS


def ticker_wire(
    *,
    symbol: str,
    open_: Decimal | None,
    high: Decimal | None,
    low: Decimal | None,
    last: Decimal | None,
    volume: Decimal,
    quote_volume: Decimal,
    trades: int,
    best_bid: tuple[str, str] | None,
    best_ask: tuple[str, str] | None,
    now_ms: int,
) -> dict[str, Any]:
    """The ticker's wire shape, shared by the WebSocket stream and REST."""
    change = change_pct = None
    if open_ is not None and last is not None:
        change = last - open_
        change_pct = (change * 100 / open_).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return {
        "symbol": symbol,
        "open": plain_decimal(open_),
        "high": plain_decimal(high),
        "low": plain_decimal(low),
        "last": plain_decimal(last),
        "volume": plain_decimal(volume),
        "quote_volume": plain_decimal(quote_volume),
        "trades": trades,
        "change": plain_decimal(change),
        "change_pct": None if change_pct is None else f"{change_pct:f}",
        "best_bid": best_bid[0] if best_bid else None,
        "best_bid_qty": best_bid[1] if best_bid else None,
        "best_ask": best_ask[0] if best_ask else None,
        "best_ask_qty": best_ask[1] if best_ask else None,
        "window_start": ticker_window_start(now_ms),
        "time": now_ms,
    }


class SymbolStats:
    """Minute candles of the last 24 h (for the ticker) and the current candle of every interval."""

    def __init__(self, minutes: dict[int, Candle], last_price: Decimal | None, now_ms: int) -> None:
        self.minutes: OrderedDict[int, Candle] = OrderedDict(sorted(minutes.items()))
        self.last = last_price
        self.current: dict[str, Candle] = {}
        for name, seconds in INTERVALS.items():
            interval_ms = seconds * 1000
            start = now_ms // interval_ms * interval_ms
            candle = candle_rollup(
                (c for t, c in self.minutes.items() if t >= start), open_time=start, interval_ms=interval_ms
            )
            if candle is not None:
                self.current[name] = candle
        self._totals()

    @classmethod
    def load(cls, *, instrument_id: int, last_price: Decimal | None, now_ms: int) -> "SymbolStats":
        """From the database: every trade committed so far in the window (this batch's included)."""
        start = ticker_window_start(now_ms)
        minutes = candle_buckets(
            instrument_id=instrument_id, interval_s=60, start_ms=start, end_ms=now_ms + MINUTE_MS
        )
        return cls(minutes, last_price, now_ms)

    def _totals(self) -> None:
        candles = self.minutes.values()
        self.volume = sum((c.volume for c in candles), Decimal(0))
        self.quote_volume = sum((c.quote_volume for c in candles), Decimal(0))
        self.trades = sum(c.trades for c in candles)
        self.high = max((c.high for c in candles), default=None)
        self.low = min((c.low for c in candles), default=None)

    def trade(self, *, time_ms: int, price: Decimal, qty: Decimal, quote: Decimal) -> None:
        """One new trade (trades arrive in time order; a clock step back lands in the newest period)."""
        minute = time_ms // MINUTE_MS * MINUTE_MS
        newest = next(reversed(self.minutes), None)
        if newest is not None and minute < newest:
            minute = newest
        candle = self.minutes.get(minute)
        if candle is None:
            self.minutes[minute] = Candle.first(minute, MINUTE_MS, price, qty, quote)
        else:
            candle.add(price, qty, quote)
        self.volume += qty
        self.quote_volume += quote
        self.trades += 1
        self.high = price if self.high is None or price > self.high else self.high
        self.low = price if self.low is None or price < self.low else self.low
        self.last = price
        for name, seconds in INTERVALS.items():
            interval_ms = seconds * 1000
            start = time_ms // interval_ms * interval_ms
            current = self.current.get(name)
            if current is None or current.open_time < start:
                self.current[name] = Candle.first(start, interval_ms, price, qty, quote)
            else:
                current.add(price, qty, quote)

    def ticker(
        self, *, symbol: str, now_ms: int, best_bid: tuple[str, str] | None, best_ask: tuple[str, str] | None
    ) -> dict[str, Any]:
        """The 24 h ticker at now_ms (minutes older than the window are dropped first)."""
        start = ticker_window_start(now_ms)
        if self.minutes and next(iter(self.minutes)) < start:
            while self.minutes and next(iter(self.minutes)) < start:
                self.minutes.popitem(last=False)
            self._totals()
        first = next(iter(self.minutes.values()), None)
        return ticker_wire(
            symbol=symbol,
            open_=first.open if first else None,
            high=self.high,
            low=self.low,
            last=self.last,
            volume=self.volume,
            quote_volume=self.quote_volume,
            trades=self.trades,
            best_bid=best_bid,
            best_ask=best_ask,
            now_ms=now_ms,
        )
