"""Reads of market data for REST and for WebSocket snapshots. Nothing here asks the engine.

Depth comes from the snapshot the engine leaves in the cache after each batch (marketdata.store);
if it is missing, from the database in ONE statement (open resting orders aggregated by price, with
the symbol's committed seq), which is consistent because the engine commits both together.
Trades, tickers and candles are SQL over the `Trade` table. Every snapshot carries the seq it is
consistent with, read BEFORE the data where two reads are needed, so that anything the data may
include beyond that seq is re-applied harmlessly (those frames carry absolute values).
"""

from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db import connection
from django.utils import timezone
from rest_framework import status

from accounts.models import Balance, User
from accounts.money import from_atoms, plain_decimal
from engine.core import InstrumentSpec
from engine.models import SymbolState
from marketdata import store
from marketdata.book_ticker import book_top, book_wire
from marketdata.books import DepthSnapshot, levels_format
from marketdata.candles import Candle, candles_query, datetime_to_ms, ms_to_datetime, trade_aggregates
from marketdata.models import StreamSeq
from marketdata.order_fields import stop_and_list_fields
from marketdata.protocol import INTERVALS, SNAPSHOT_LEVELS
from marketdata.stats import ticker_window_start, ticker_wire
from quantx_site.errors import ApiError, ErrorCode
from trading.models import OPEN_STATUSES, Instrument, Order, OrderType, Trade
from trading.selectors import instrument_get, instrument_list


def now_ms() -> int:
    return datetime_to_ms(timezone.now())


# ---------------------------------------------------------------------------- depth


def depth_get(*, symbol: str, limit: int) -> DepthSnapshot:
    """Top `limit` levels per side of a listed symbol (unknown: 400 -1121), with their seq."""
    return depth_snapshot(instrument_get(symbol=symbol)).limited(limit)


def depth_snapshot(instrument: Instrument) -> DepthSnapshot:
    cached = store.depth_read(instrument.symbol)
    if cached is not None:
        return _from_cache(instrument.symbol, cached)
    return depth_from_database(instrument)


def _from_cache(symbol: str, cached: store.CachedDepth) -> DepthSnapshot:
    spec = InstrumentSpec(symbol=symbol, tick_size=Decimal(cached["tick"]), lot_size=Decimal(cached["lot"]))
    return DepthSnapshot(
        symbol, cached["seq"], levels_format(spec, cached["bids"]), levels_format(spec, cached["asks"])
    )


_DEPTH_SQL = """
SELECT 0, NULL, seq, NULL FROM {symbolstate} WHERE instrument_id = %s
UNION ALL
SELECT 1, side, price, SUM(remaining) FROM {order}
 WHERE instrument_id = %s AND status IN (%s, %s) AND type <> %s
   AND ((stop_price IS NULL AND trailing_delta IS NULL) OR triggered)
 GROUP BY side, price
"""


def depth_from_database(instrument: Instrument) -> DepthSnapshot:
    """The book as committed: resting orders (not waiting stops, fixed or trailing) summed per price,
    and the seq.

    One statement, so PostgreSQL (READ COMMITTED) and SQLite read both from one snapshot.
    """
    sql = _DEPTH_SQL.format(symbolstate=SymbolState._meta.db_table, order=Order._meta.db_table)
    params = [instrument.id, instrument.id, *OPEN_STATUSES, OrderType.MARKET]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    seq = 0
    bids: list[tuple[Decimal, Decimal]] = []
    asks: list[tuple[Decimal, Decimal]] = []
    for kind, side, price, qty in rows:
        if kind == 0:
            seq = price
        else:
            (bids if side == "BUY" else asks).append((from_atoms(int(price)), from_atoms(int(qty))))
    bids.sort(reverse=True)
    asks.sort()

    def wire(levels: list[tuple[Decimal, Decimal]]) -> list[tuple[str, str]]:
        return [(plain_decimal(p) or "0", plain_decimal(q) or "0") for p, q in levels[:SNAPSHOT_LEVELS]]

    return DepthSnapshot(instrument.symbol, seq, wire(bids), wire(asks))


# ---------------------------------------------------------------------------- trades


def trade_wire(trade: Trade) -> dict[str, Any]:
    return {
        "id": trade.id,
        "price": plain_decimal(trade.price),
        "qty": plain_decimal(trade.qty),
        "quote_qty": plain_decimal(trade.quote_qty),
        "side": trade.taker_side,
        "time": datetime_to_ms(trade.created_at),
        "seq": trade.seq,
    }


def trades_recent(*, instrument: Instrument, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """The last `limit` public trades, oldest first, and the seq of the newest (0 if none)."""
    rows = list(Trade.objects.filter(instrument=instrument).order_by("-id")[:limit])
    rows.reverse()
    return (rows[-1].seq if rows else 0), [trade_wire(t) for t in rows]


def trades_get(*, symbol: str, limit: int) -> list[dict[str, Any]]:
    return trades_recent(instrument=instrument_get(symbol=symbol), limit=limit)[1]


# ---------------------------------------------------------------------------- tickers


def symbol_seq(instrument: Instrument) -> int:
    return SymbolState.objects.filter(instrument=instrument).values_list("seq", flat=True).first() or 0


def tickers(instruments: list[Instrument], *, at_ms: int | None = None) -> list[dict[str, Any]]:
    """The 24 h ticker of each instrument (marketdata.stats: the 1440 minutes ending now): three
    aggregate queries for all of them, plus the cached depth for the best bid and ask."""
    now = now_ms() if at_ms is None else at_ms
    ids = [i.id for i in instruments]
    rows = {
        r["instrument_id"]: r
        for r in Trade.objects.filter(
            instrument_id__in=ids, created_at__gte=ms_to_datetime(ticker_window_start(now))
        )
        .values("instrument_id")
        .annotate(**trade_aggregates())
    }
    opens = dict(
        Trade.objects.filter(id__in=[r["first_id"] for r in rows.values()]).values_list("id", "price")
    )
    lasts = dict(SymbolState.objects.filter(instrument_id__in=ids).values_list("instrument_id", "last_price"))
    cached = store.depth_read_many([i.symbol for i in instruments])
    out = []
    for instrument in instruments:
        row = rows.get(instrument.id)
        cached_depth = cached.get(instrument.symbol)
        depth = (
            _from_cache(instrument.symbol, cached_depth).limited(1)
            if cached_depth is not None
            else depth_from_database(instrument).limited(1)
        )
        out.append(
            ticker_wire(
                symbol=instrument.symbol,
                open_=opens.get(row["first_id"]) if row else None,
                high=row["high"] if row else None,
                low=row["low"] if row else None,
                last=lasts.get(instrument.id),
                volume=row["volume"] if row else Decimal(0),
                quote_volume=row["quote_volume"] if row else Decimal(0),
                trades=row["trades"] if row else 0,
                best_bid=depth.bids[0] if depth.bids else None,
                best_ask=depth.asks[0] if depth.asks else None,
                now_ms=now,
            )
        )
    return out


def ticker_get(*, symbol: str) -> dict[str, Any]:
    return tickers([instrument_get(symbol=symbol)])[0]


def tickers_list() -> list[dict[str, Any]]:
    return tickers(list(instrument_list()))


# ---------------------------------------------------------------------------- candles


def candles_get(
    *, symbol: str, interval: str, start: int | None = None, end: int | None = None, limit: int
) -> list[Candle]:
    """Gap-filled OHLCV candles (marketdata.candles), oldest first. start after end: 400 -1100."""
    instrument = instrument_get(symbol=symbol)
    if start is not None and end is not None and start > end:
        raise ApiError(ErrorCode.ILLEGAL_PARAMETER, "start: must not be after end.", field="start")
    return candles_query(
        instrument_id=instrument.id, interval_s=INTERVALS[interval], now_ms=now_ms(), start=start, end=end,
        limit=limit,
    )  # fmt: skip


# ---------------------------------------------------------------------------- catch-up


@dataclass(frozen=True)
class Updates:
    symbol: str
    seq: int
    updates: list[store.UpdateRecord]


def updates_get(*, symbol: str, since_seq: int) -> Updates:
    """The depth/trade updates after since_seq from the short window in the cache.

    A since_seq the window no longer covers (too old, or the cache lost it) is 410 -1140: take a
    new snapshot. One ahead of the stream is 400 -1100.
    """
    instrument = instrument_get(symbol=symbol)
    read = store.updates_read(symbol, since_seq)
    window, records = read if read is not None else ([], [])
    head = window[-1] if window else symbol_seq(instrument)
    if since_seq > head:
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER,
            f"since_seq: {since_seq} is ahead of the stream (at {head}).",
            field="since_seq",
        )
    if since_seq == head:
        return Updates(symbol, head, [])
    chain_ok = bool(records) and all(r is not None for r in records)
    if chain_ok:
        present = [r for r in records if r is not None]
        chain_ok = present[0]["prev_seq"] <= since_seq and all(
            b["prev_seq"] == a["seq"] for a, b in pairwise(present)
        )
    if not chain_ok:
        raise ApiError(
            ErrorCode.RESYNC_REQUIRED,
            f"Updates after seq {since_seq} are no longer available; take a new depth snapshot.",
            status_code=status.HTTP_410_GONE,
            field="since_seq",
        )
    return Updates(symbol, head, [r for r in records if r is not None])


# ---------------------------------------------------------------------------- private snapshots


def order_wire(order: Order, symbol: str) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "client_order_id": order.client_order_id,
        "symbol": symbol,
        "side": order.side,
        "type": order.type,
        "tif": order.tif,
        "price": plain_decimal(order.price),
        "stop_price": plain_decimal(order.stop_price),
        "qty": plain_decimal(order.qty),
        "quote_qty": plain_decimal(order.quote_qty),
        "status": order.status,
        "filled": plain_decimal(order.filled),
        "remaining": plain_decimal(order.remaining),
        "reason": order.reason,
        "time": datetime_to_ms(order.updated_at),
        **stop_and_list_fields(order, order.order_list.status if order.order_list_id else None),
    }


def _stream_seqs(user: User) -> tuple[int, int]:
    row = StreamSeq.objects.filter(user=user).values_list("orders_seq", "balances_seq").first()
    return row if row is not None else (0, 0)


def open_orders_snapshot(*, user: User) -> tuple[int, list[dict[str, Any]]]:
    """The user's open orders (waiting stops included) and the `orders` seq they include."""
    seq = _stream_seqs(user)[0]  # read first: the rows below are at least that new
    orders = (
        Order.objects.filter(user=user, status__in=OPEN_STATUSES)
        .select_related("instrument", "order_list")
        .order_by("id")
    )
    return seq, [order_wire(o, o.instrument.symbol) for o in orders]


def balances_snapshot(*, user: User) -> tuple[int, list[dict[str, Any]]]:
    """The user's balances and the `balances` seq they include."""
    seq = _stream_seqs(user)[1]
    rows = Balance.objects.filter(user=user).select_related("asset").order_by("asset__code")
    return seq, [
        {"asset": b.asset.code, "free": plain_decimal(b.free), "locked": plain_decimal(b.locked)}
        for b in rows
    ]


# ---------------------------------------------------------------------------- book ticker, time


def book_ticker_snapshot(instrument: Instrument) -> tuple[int, dict[str, Any]]:
    """(seq, best bid/ask) from the depth snapshot (marketdata.book_ticker)."""
    depth = depth_snapshot(instrument)
    return depth.seq, book_wire(instrument.symbol, book_top(depth.bids, depth.asks))


def book_ticker_get(*, symbol: str) -> dict[str, Any]:
    """The book ticker of a listed symbol (unknown: 400 -1121) with the seq it reflects."""
    seq, data = book_ticker_snapshot(instrument_get(symbol=symbol))
    return {**data, "seq": seq}


def server_time() -> dict[str, Any]:
    """The server clock in ms and ISO 8601 (the same millisecond)."""
    ms = now_ms()
    iso = ms_to_datetime(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    return {"server_time": ms, "iso": iso}
