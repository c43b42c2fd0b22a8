"""Public endpoints of /api/v3/: ping, time, exchangeInfo and market data (no key needed).

Each view reads its parameters, calls one selector and answers in Binance's shape
(binance_compat.encode). Symbols are Binance names (BTCUSD); unknown: 400 -1121.
"""

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response

from binance_compat import encode
from binance_compat import selectors as facade
from binance_compat.base import BinanceApi
from binance_compat.symbols import instrument_for, symbol_map
from marketdata import selectors as market
from marketdata.protocol import INTERVALS, SNAPSHOT_LEVELS
from quantx_site.errors import ApiError, ErrorCode
from trading.models import Instrument

RATE_LIMITS = "rateLimits"
AVG_PRICE_MINUTES = 5


class PingApi(BinanceApi):
    def get(self, request: Request) -> Response:
        self.params.done()
        return Response({})


class TimeApi(BinanceApi):
    def get(self, request: Request) -> Response:
        self.params.done()
        return Response({"serverTime": market.now_ms()})


def _instruments(params: Any, *, all_by_default: bool = True) -> list[Instrument] | None:
    """`symbol=` or `symbols=[...]` (not both), else every instrument (None: not asked for)."""
    symbol, symbols = params.text("symbol", max_length=20), params.symbols("symbols")
    if symbol is not None and symbols is not None:
        raise ApiError(ErrorCode.PARAMETER_NOT_REQUIRED, "symbols: send symbol or symbols.", field="symbols")
    if symbol is not None:
        return [instrument_for(symbol)]
    if symbols is not None:
        return [instrument_for(s) for s in dict.fromkeys(symbols)]
    return list(symbol_map().values()) if all_by_default else None


class ExchangeInfoApi(BinanceApi):
    weight = 20

    def get(self, request: Request) -> Response:
        instruments = _instruments(self.params)
        self.params.text("permissions", max_length=200)
        self.params.choice("showPermissionSets", ("true", "false"))
        self.params.choice("symbolStatus", ("TRADING", "HALT", "BREAK"))
        self.params.done()
        return Response({
            "timezone": "UTC",
            "serverTime": market.now_ms(),
            RATE_LIMITS: [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                 "limit": settings.BINANCE_WEIGHT_LIMIT_1M},
                *_order_limits(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["order_place"]),
            ],
            "exchangeFilters": [],
            "symbols": [encode.symbol_info(i) for i in instruments or []],
        })  # fmt: skip


def _order_limits(rate: str) -> list[dict[str, Any]]:
    count, _, period = rate.partition("/")
    interval = {"s": "SECOND", "m": "MINUTE", "h": "HOUR", "d": "DAY"}.get(period[:1], "MINUTE")
    return [{"rateLimitType": "ORDERS", "interval": interval, "intervalNum": 1, "limit": int(count)}]


class DepthApi(BinanceApi):
    def weight_of(self, request: Request) -> int:
        limit = request.query_params.get("limit", "100")
        return (
            1 if limit.isdigit() and int(limit) <= 100 else 5 if limit.isdigit() and int(limit) <= 500 else 25
        )

    def get(self, request: Request) -> Response:
        instrument = instrument_for(self.params.text("symbol", required=True) or "")
        limit = self.params.integer("limit", minimum=1, maximum=5000) or 100
        self.params.done()
        depth = market.depth_snapshot(instrument).limited(min(limit, SNAPSHOT_LEVELS))
        return Response(
            {"lastUpdateId": depth.seq, "bids": encode.levels(depth.bids), "asks": encode.levels(depth.asks)}
        )


class TradesApi(BinanceApi):
    weight = 25

    def get(self, request: Request) -> Response:
        instrument = instrument_for(self.params.text("symbol", required=True) or "")
        limit = self.params.integer("limit", minimum=1, maximum=1000) or 500
        self.params.done()
        trades = facade.public_trades(instrument=instrument, limit=limit)
        return Response([encode.public_trade(t) for t in trades])


class AggTradesApi(BinanceApi):
    weight = 4

    def get(self, request: Request) -> Response:
        instrument = instrument_for(self.params.text("symbol", required=True) or "")
        from_id = self.params.integer("fromId")
        start, end = self.params.time_ms("startTime"), self.params.time_ms("endTime")
        limit = self.params.integer("limit", minimum=1, maximum=1000) or 500
        self.params.done()
        trades = facade.public_trades(
            instrument=instrument, from_id=from_id, start=start, end=end, limit=limit
        )
        return Response([encode.agg_trade(t) for t in trades])


class KlinesApi(BinanceApi):
    weight = 2

    def get(self, request: Request) -> Response:
        instrument = instrument_for(self.params.text("symbol", required=True) or "")
        interval = self.params.text("interval", required=True) or ""
        if interval not in INTERVALS:
            raise ApiError(ErrorCode.BAD_INTERVAL, "Invalid interval.", field="interval")
        start, end = self.params.time_ms("startTime"), self.params.time_ms("endTime")
        self.params.choice("timeZone", ("0", "+0", "+00:00", "-0"))
        limit = self.params.integer("limit", minimum=1, maximum=1000) or 500
        self.params.done()
        candles = market.candles_get(
            symbol=instrument.symbol, interval=interval, start=start, end=end, limit=limit
        )
        return Response([encode.kline(c.as_wire()) for c in candles])


class AvgPriceApi(BinanceApi):
    weight = 2

    def get(self, request: Request) -> Response:
        instrument = instrument_for(self.params.text("symbol", required=True) or "")
        self.params.done()
        candles = market.candles_get(symbol=instrument.symbol, interval="1m", limit=AVG_PRICE_MINUTES)
        price = facade.avg_price(candles)
        if price is None:
            price = market.tickers([instrument])[0]["last"]
        close = candles[-1].open_time + 60_000 - 1 if candles else market.now_ms()
        return Response({"mins": AVG_PRICE_MINUTES, "price": encode.d8(price), "closeTime": close})


class _TickerApi(BinanceApi):
    def weight_of(self, request: Request) -> int:
        return 2 if "symbol" in request.query_params else 80

    def tickers(self) -> tuple[list[dict[str, Any]], bool]:
        """The tickers asked for, and whether one symbol was asked for (answer an object)."""
        single = self.params.has("symbol")
        instruments = _instruments(self.params) or []
        return market.tickers(instruments), single

    def answer(self, rows: list[dict[str, Any]], single: bool) -> Response:
        return Response(rows[0] if single else rows)


class Ticker24hrApi(_TickerApi):
    def get(self, request: Request) -> Response:
        tickers, single = self.tickers()
        mini = self.params.choice("type", ("FULL", "MINI")) == "MINI"
        self.params.done()
        return self.answer([encode.ticker_24hr(t, mini=mini) for t in tickers], single)


class TickerPriceApi(_TickerApi):
    def get(self, request: Request) -> Response:
        tickers, single = self.tickers()
        self.params.done()
        return self.answer([encode.price_ticker(t) for t in tickers], single)


class BookTickerApi(_TickerApi):
    def get(self, request: Request) -> Response:
        """The top of each book from the depth snapshot, as /api/v1/ book-ticker/ and `book:` read it."""
        single = self.params.has("symbol")
        instruments = _instruments(self.params) or []
        self.params.done()
        books = [market.book_ticker_snapshot(i)[1] for i in instruments]
        return self.answer([encode.book_ticker(b) for b in books], single)
