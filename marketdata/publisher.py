"""The engine's market-data publisher: what one committed batch tells the world.

`MarketDataHook` is a batch hook of the engine worker (settings.ENGINE_BATCH_HOOKS,
engine.worker.hooks): for each batch applied in memory it builds every frame the batch causes and
serializes each ONCE, and returns the per-user stream counters as rows that commit in the batch's
own transaction. After the commit and the replies, off the worker's critical path, its
`after_commit` step writes the cache values (one pipelined round trip) and sends ONE message with
all the frames to FANOUT_GROUP, whatever the number of subscribers (each web process's hub writes
the frames to its local sockets: marketdata.hub). Nothing is sent before the commit.

Per symbol whose book changed (the core's seq moved):
- depth: the changed levels with their absolute quantity after the batch (0 = gone), `seq` = the
  symbol's seq after the batch, `prev_seq` = its seq before (the previous depth update's seq, as
  every seq step changes the book), and the checksum of the top levels (marketdata.books);
- trades: each trade with id, seq, price, qty, taker side, time and prev_seq (the previous
  trade's seq; loaded from the database once per symbol after a restart);
- ticker, and the current candle of each interval if it traded (marketdata.stats);
- book: the best bid and ask with their sizes, only when they differ from the last ones sent
  (marketdata.book_ticker), a whole state with the symbol's seq like the ticker.
Per user touched (not the fee account): an execution report per order event on `orders`, and the
new free/locked of every asset that changed on `balances`, each stream numbered 1, 2, 3... per user
(marketdata.models.StreamSeq, written before publishing so a restart continues the numbers).

Before returning, it writes the depth snapshot and the update window to the cache
(marketdata.store), so a reader that sees a frame can always find a snapshot at least as new.
Nothing here may break the worker: any failure is logged and the batch simply publishes nothing
(clients see the gap in seq and re-synchronise).
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from asgiref.sync import sync_to_async

from accounts.money import plain_decimal
from engine.core import OrderEvent, Side, TradeEvent
from engine.models import SymbolState
from engine.worker.hooks import HookOutput
from engine.worker.persistence import Row, Table
from engine.worker.records import Batch, Market, TradeRecord
from engine.worker.state import WorkerState
from marketdata import store
from marketdata.book_ticker import Top, book_top, book_wire
from marketdata.books import checksum, levels_format
from marketdata.candles import datetime_to_ms
from marketdata.models import StreamSeq
from marketdata.order_fields import stop_and_list_fields
from marketdata.protocol import (
    BALANCES,
    BATCH_MESSAGE_TYPE,
    BOOK,
    CANDLES,
    CHECKSUM_LEVELS,
    DEPTH,
    EV_UPDATE,
    FANOUT_GROUP,
    INTERVALS,
    ORDERS,
    SNAPSHOT_LEVELS,
    TICKER,
    TRADES,
    UPDATES_WINDOW,
    private_key,
    public_key,
    snapshot_cache_key,
    update_cache_key,
    window_cache_key,
)
from marketdata.stats import SymbolStats
from trading.models import Trade

log = logging.getLogger("quantx.marketdata")

Frame = list[Any]
"""[routing_key, seq, text]"""


STREAM_SEQS = Table(StreamSeq, ("user_id", "orders_seq", "balances_seq"), conflict=("user_id",),
                    update=("orders_seq", "balances_seq"))  # fmt: skip


class MarketDataHook:
    """The engine worker's batch hook (see the module docstring); one per loaded worker state."""

    def __init__(self, state: WorkerState) -> None:
        self.publisher = Publisher()

    def on_batch(self, state: WorkerState, batch: Batch) -> HookOutput | None:
        cached: dict[str, Any] = {}
        seq_rows: list[Row] = []
        frames = self.publisher.frames_of(state, batch, cached, seq_rows)
        if not frames and not seq_rows:
            return None
        message = {"type": BATCH_MESSAGE_TYPE, "frames": frames}

        async def publish(layer: Any) -> None:
            if cached:
                await sync_to_async(store.store_write, thread_sensitive=False)(cached)
            if frames:
                await fanout_send(layer, message)

        return HookOutput(rows=[(STREAM_SEQS, seq_rows)] if seq_rows else [], after_commit=publish)


async def fanout_send(layer: Any, message: dict[str, Any]) -> None:
    """One group_send per batch, to every web process's hub."""
    await layer.group_send(FANOUT_GROUP, message)


def _text(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"))


@dataclass
class _Changes:
    """What a batch did to one symbol's market."""

    first_seq: int = 0
    levels: set[tuple[Side, int]] = field(default_factory=set)
    trades: list[TradeEvent] = field(default_factory=list)

    def saw(self, seq: int) -> None:
        if not self.first_seq or seq < self.first_seq:
            self.first_seq = seq


class Publisher:
    """Per engine state: what the publisher remembers between batches (all rebuilt lazily after a
    restart from the database and the cache)."""

    def __init__(self) -> None:
        self.last_trade_seq: dict[str, int] = {}
        self.windows: dict[str, list[int]] = {}
        self.stats: dict[str, SymbolStats] = {}
        self.user_seqs: dict[int, list[int]] = {}  # user id -> [orders seq, balances seq]
        self.tops: dict[str, Top] = {}  # symbol -> the top of the book last sent on `book:`

    def frames_of(
        self, state: WorkerState, batch: Batch, cached: dict[str, Any], seq_rows: list[Row]
    ) -> list[Frame]:
        """Every frame of the batch; fills `cached` (cache values) and `seq_rows` (stream counters)."""
        now_ms = datetime_to_ms(batch.now)
        trade_rows = {(t.instrument_id, t.seq): t for t in batch.trades}
        changes: dict[str, _Changes] = {}
        reports: list[tuple[int, dict[str, Any]]] = []
        fills: dict[int, list[dict[str, Any]]] = {}
        for e in batch.events:
            kind = type(e)
            if kind is TradeEvent:
                market = state.markets[e.symbol]
                ch = changes.setdefault(e.symbol, _Changes())
                ch.saw(e.seq)
                ch.levels.add((Side.SELL if e.taker_side is Side.BUY else Side.BUY, e.price))
                ch.trades.append(e)
                row = trade_rows[(market.id, e.seq)]
                fills.setdefault(e.taker_id, []).append(_fill(market, row, taker=True, time_ms=now_ms))
                fills.setdefault(e.maker_id, []).append(_fill(market, row, taker=False, time_ms=now_ms))
            elif kind is OrderEvent:
                if e.seq:
                    ch = changes.setdefault(e.symbol, _Changes())
                    ch.saw(e.seq)
                    ch.levels.add((e.side, e.price))
                if e.owner != state.fee_user_id:
                    reports.append((e.owner, _report(state, batch, e, fills.pop(e.order_id, []), now_ms)))
        frames: list[Frame] = []
        for symbol, ch in changes.items():
            frames += self._symbol_frames(state, symbol, ch, trade_rows, now_ms, cached)
        frames += self._private_frames(state, batch, reports, seq_rows)
        return frames

    # ------------------------------------------------------------------ public

    def _symbol_frames(
        self,
        state: WorkerState,
        symbol: str,
        ch: _Changes,
        trade_rows: dict[tuple[int, int], TradeRecord],
        now_ms: int,
        cached: dict[str, Any],
    ) -> list[Frame]:
        ex, market = state.ex, state.markets[symbol]
        spec = market.spec
        seq, prev_seq = ex.seq(symbol), ch.first_seq - 1
        bids, asks = ex.depth(symbol, SNAPSHOT_LEVELS)
        top_bids, top_asks = (
            levels_format(spec, bids[:CHECKSUM_LEVELS]),
            levels_format(spec, asks[:CHECKSUM_LEVELS]),
        )
        level_qty = _level_reader(ex, symbol, bids, asks)
        changed = {
            side: [
                [spec.format_price(p), spec.format_qty(level_qty(side, p))]
                for p in sorted((p for s, p in ch.levels if s is side), reverse=side is Side.BUY)
            ]
            for side in (Side.BUY, Side.SELL)
        }
        depth = {
            "bids": changed[Side.BUY],
            "asks": changed[Side.SELL],
            "checksum": checksum(top_bids, top_asks),
        }
        trades = self._trades(market, ch.trades, trade_rows, now_ms)
        frames = [_frame(public_key(DEPTH, symbol), seq, prev_seq, {**depth, "time": now_ms})]
        top = book_top(top_bids, top_asks)
        if self.tops.get(symbol) != top:  # (after a restart the first batch sends it: unknown before)
            self.tops[symbol] = top
            frames.append(
                _frame(public_key(BOOK, symbol), seq, None, {**book_wire(symbol, top), "time": now_ms})
            )
        if trades:
            frames.append(
                _frame(public_key(TRADES, symbol), trades[-1]["seq"], trades[0]["prev_seq"], trades)
            )
        stats = self._stats(market, ch.trades, trade_rows, now_ms)
        best = [top[0] if top else None for top in (top_bids, top_asks)]
        ticker = stats.ticker(symbol=symbol, now_ms=now_ms, best_bid=best[0], best_ask=best[1])
        frames.append(_frame(public_key(TICKER, symbol), seq, None, ticker))
        if trades:
            for name in INTERVALS:
                candle = stats.current.get(name)
                if candle is not None:
                    frames.append(_frame(public_key(CANDLES, symbol, name), seq, None, candle.as_wire()))
        record = {"seq": seq, "prev_seq": prev_seq, "time": now_ms, **depth, "trades": trades}
        window = self._window(symbol, prev_seq)
        window.append(seq)
        del window[:-UPDATES_WINDOW]
        cached[snapshot_cache_key(symbol)] = {
            "seq": seq, "tick": str(spec.tick_size), "lot": str(spec.lot_size), "bids": bids, "asks": asks,
        }  # fmt: skip
        cached[update_cache_key(symbol, seq)] = record
        cached[window_cache_key(symbol)] = list(window)
        return frames

    def _trades(
        self,
        market: Market,
        events: list[TradeEvent],
        trade_rows: dict[tuple[int, int], TradeRecord],
        now_ms: int,
    ) -> list[dict[str, Any]]:
        if not events:
            return []
        spec, symbol = market.spec, market.symbol
        prev = self.last_trade_seq.get(symbol)
        if prev is None:  # first trades since the worker started: the last one before this batch
            prev = (
                Trade.objects.filter(instrument_id=market.id, seq__lt=events[0].seq)
                .order_by("-seq")
                .values_list("seq", flat=True)
                .first()
            ) or 0
        out = []
        for e in events:
            row = trade_rows[(market.id, e.seq)]
            out.append({
                "id": row.id, "price": spec.format_price(e.price), "qty": spec.format_qty(e.qty),
                "side": e.taker_side.value, "time": now_ms, "seq": e.seq, "prev_seq": prev,
            })  # fmt: skip
            prev = e.seq
        self.last_trade_seq[symbol] = prev
        return out

    def _stats(
        self,
        market: Market,
        events: list[TradeEvent],
        trade_rows: dict[tuple[int, int], TradeRecord],
        now_ms: int,
    ) -> SymbolStats:
        stats = self.stats.get(market.symbol)
        if stats is None:  # loaded with every committed trade, this batch's included
            last = trade_rows[(market.id, events[-1].seq)].price if events else None
            stats = self.stats[market.symbol] = SymbolStats.load(
                instrument_id=market.id, last_price=last or _last_price(market), now_ms=now_ms
            )
            return stats
        for e in events:
            row = trade_rows[(market.id, e.seq)]
            stats.trade(time_ms=now_ms, price=row.price, qty=row.qty, quote=row.quote_qty)
        return stats

    def _window(self, symbol: str, prev_seq: int) -> list[int]:
        """The symbol's update window, continued from the cache after a restart if it chains."""
        window = self.windows.get(symbol)
        if window is None:
            window = store.window_load(symbol)
            if window and window[-1] != prev_seq:
                window = []
            self.windows[symbol] = window
        elif window and window[-1] != prev_seq:  # should not happen: a batch went unpublished
            window.clear()
        return window

    # ------------------------------------------------------------------ private

    def _private_frames(
        self, state: WorkerState, batch: Batch, reports: list[tuple[int, dict[str, Any]]], seq_rows: list[Row]
    ) -> list[Frame]:
        balances: dict[int, list[str]] = {}
        for user_id, asset in sorted(batch.balances):
            if user_id != state.fee_user_id:
                balances.setdefault(user_id, []).append(asset)
        users = {u for u, _ in reports} | set(balances)
        if not users:
            return []
        seqs = self._user_seqs(users)
        frames: list[Frame] = []
        for user_id, report in reports:
            seq = seqs[user_id]
            seq[0] += 1
            frames.append(_frame(private_key(ORDERS, user_id), seq[0], seq[0] - 1, report, channel=ORDERS))
        for user_id, assets in balances.items():
            seq = seqs[user_id]
            seq[1] += 1
            data = []
            for asset in assets:
                free, locked = state.balance(user_id, asset)
                data.append({"asset": asset, "free": plain_decimal(free), "locked": plain_decimal(locked)})
            frames.append(_frame(private_key(BALANCES, user_id), seq[1], seq[1] - 1, data, channel=BALANCES))
        seq_rows += [(u, seqs[u][0], seqs[u][1]) for u in sorted(users)]
        return frames

    def _user_seqs(self, users: set[int]) -> dict[int, list[int]]:
        missing = users - self.user_seqs.keys()
        if missing:
            for user_id in missing:
                self.user_seqs[user_id] = [0, 0]
            for row in StreamSeq.objects.filter(user_id__in=missing):
                self.user_seqs[row.user_id] = [row.orders_seq, row.balances_seq]
        return self.user_seqs


def _frame(key: str, seq: int, prev_seq: int | None, data: Any, *, channel: str | None = None) -> Frame:
    frame: dict[str, Any] = {"event": EV_UPDATE, "channel": channel or key, "seq": seq}
    if prev_seq is not None:
        frame["prev_seq"] = prev_seq
    frame["data"] = data
    return [key, seq, _text(frame)]


def _level_reader(
    ex: Any, symbol: str, bids: list[tuple[int, int]], asks: list[tuple[int, int]]
) -> Callable[[Side, int], int]:
    """(side, price) -> lots resting there after the batch, 0 if none.

    The core's `level_qty` view when the Exchange offers it; otherwise the whole depth (the
    snapshot's SNAPSHOT_LEVELS may not reach a changed level deep in the book).
    """
    level_qty = getattr(ex, "level_qty", None)
    if level_qty is not None:
        return lambda side, price: level_qty(symbol, side, price)  # type: ignore[no-any-return]
    if len(bids) >= SNAPSHOT_LEVELS or len(asks) >= SNAPSHOT_LEVELS:
        bids, asks = ex.depth(symbol)
    levels = {Side.BUY: dict(bids), Side.SELL: dict(asks)}
    return lambda side, price: levels[side].get(price, 0)


def _last_price(market: Market) -> Decimal | None:
    return SymbolState.objects.filter(instrument_id=market.id).values_list("last_price", flat=True).first()


def _fill(market: Market, trade: TradeRecord, *, taker: bool, time_ms: int) -> dict[str, Any]:
    buyer_is_taker = trade.taker_side == Side.BUY
    receives_base = buyer_is_taker if taker else not buyer_is_taker
    return {
        "trade_id": trade.id,
        "price": plain_decimal(trade.price),
        "qty": plain_decimal(trade.qty),
        "quote_qty": plain_decimal(trade.quote_qty),
        "fee": plain_decimal(trade.taker_fee if taker else trade.maker_fee),
        "fee_asset": market.base if receives_base else market.quote,
        "liquidity": "TAKER" if taker else "MAKER",
        "time": time_ms,
    }


def _report(
    state: WorkerState, batch: Batch, e: OrderEvent, fills: list[dict[str, Any]], now_ms: int
) -> dict[str, Any]:
    """An execution report: the order's state after this event and the fills that led to it."""
    record = batch.orders[e.order_id]
    spec = state.markets[e.symbol].spec
    last = fills[-1] if fills else None
    return {
        "order_id": record.id,
        "client_order_id": record.client_order_id,
        "symbol": e.symbol,
        "side": record.side,
        "type": record.type,
        "tif": record.tif,
        "price": plain_decimal(record.price),
        "stop_price": plain_decimal(record.stop_price),
        "qty": plain_decimal(record.qty),
        "quote_qty": plain_decimal(record.quote_qty),
        "status": e.status.value,
        "filled": spec.format_qty(e.filled),
        "remaining": spec.format_qty(e.remaining),
        "reason": e.reason.value if e.reason is not None else "",
        "last_qty": last["qty"] if last else None,
        "last_price": last["price"] if last else None,
        "trade_id": last["trade_id"] if last else None,
        "fee": last["fee"] if last else None,
        "fee_asset": last["fee_asset"] if last else None,
        "fills": fills,
        "time": now_ms,
        **stop_and_list_fields(record, _list_status(state, batch, record.order_list_id)),
        "order_list_client_id": _list_client_id(state, batch, record.order_list_id),
    }


def _list_client_id(state: WorkerState, batch: Batch, list_id: int | None) -> str | None:
    if list_id is None:
        return None
    lst = batch.lists.get(list_id) or state.lists.get(list_id)
    return None if lst is None else lst.client_list_id


def _list_status(state: WorkerState, batch: Batch, list_id: int | None) -> str | None:
    if list_id is None:
        return None
    lst = batch.lists.get(list_id) or state.lists.get(list_id)
    return None if lst is None else lst.status
