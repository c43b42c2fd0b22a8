"""Binance WebSocket connections: market streams (/ws, /ws/<stream>, /stream?streams=), the listen-key
user stream (/ws/<listenKey>) and the WebSocket API's user-data subscription (/ws-api/v3).

Every stream is a subscription in the process's hub (marketdata.hub), the same fan-out and sequence
numbers as /ws/v1/: a subscription joins the stream first, then its snapshot is read, then the
frames newer than the snapshot follow. Its sink is an encoder (binance_compat.stream_encoders) that
writes Binance events into the connection's bounded Outbox (a client too slow for it is closed,
never silently skipped).
"""

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from channels.db import database_sync_to_async

from accounts.models import User
from binance_compat import selectors as facade
from binance_compat.services import listen_key_user_id
from binance_compat.stream_encoders import (
    DiffDepth,
    Encoder,
    Kline,
    ListState,
    PartialDepth,
    Ticker,
    Trades,
    UserData,
    parsed,
)
from binance_compat.symbols import binance_symbol, symbol_map
from marketdata.channels import ChannelSpec, snapshots_read
from marketdata.hub import Frame, Hub, Outbox, Send, Subscription
from marketdata.protocol import (
    BALANCES,
    BOOK,
    CANDLES,
    DEPTH,
    INTERVALS,
    MAX_FRAME_BYTES,
    MAX_OPS_PER_SECOND,
    ORDERS,
    SEND_QUEUE_MAX,
    TICKER,
    TRADES,
    CloseCode,
    public_key,
)

log = logging.getLogger("quantx.binance")

CLOSE_NORMAL = 1000
MAX_STREAMS = 200
"""Streams per connection (Binance allows 1024; QuantX lists a handful of symbols)."""

_STREAM = re.compile(
    r"(?P<symbol>[a-z0-9]{2,20})@(?P<kind>depth(?P<levels>5|10|20)?(@(100|1000)ms)?|trade|aggTrade|"
    r"kline_(?P<interval>[0-9a-zA-Z]{2,3})|ticker|miniTicker|bookTicker)"
)

# Binance's WebSocket error codes (`{"error": {"code", "msg"}, "id"}`).
WS_UNKNOWN_PROPERTY, WS_BAD_VALUE, WS_BAD_REQUEST, WS_BAD_JSON = 0, 1, 2, 3


class StreamError(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


@dataclass(frozen=True)
class StreamName:
    """A Binance market stream name, parsed (the symbol is still a Binance name)."""

    name: str
    symbol: str
    kind: str
    levels: int | None
    interval: str | None

    def channel(self, qx_symbol: str) -> ChannelSpec:
        """The /ws/v1/ channel this stream re-encodes."""
        if self.kind.startswith("depth"):
            return ChannelSpec(public_key(DEPTH, qx_symbol), DEPTH, qx_symbol)
        if self.kind in ("trade", "aggTrade"):
            return ChannelSpec(public_key(TRADES, qx_symbol), TRADES, qx_symbol)
        if self.interval is not None:
            return ChannelSpec(
                public_key(CANDLES, qx_symbol, self.interval), CANDLES, qx_symbol, self.interval
            )
        if self.kind == "bookTicker":  # only when the top of the book changes, as Binance's
            return ChannelSpec(public_key(BOOK, qx_symbol), BOOK, qx_symbol)
        return ChannelSpec(public_key(TICKER, qx_symbol), TICKER, qx_symbol)

    def encoder(self) -> Encoder:
        symbol = self.symbol.upper()
        if self.kind.startswith("depth"):
            return PartialDepth(self.levels) if self.levels else DiffDepth(symbol)
        if self.kind in ("trade", "aggTrade"):
            return Trades(symbol, aggregate=self.kind == "aggTrade")
        if self.interval is not None:
            return Kline(symbol, self.interval)
        return Ticker(symbol, self.kind)


def stream_parse(name: Any) -> StreamName | None:
    """A market stream name ("btcusd@depth@100ms", "btcusd@kline_1m"), or None if it is not one."""
    if not isinstance(name, str):
        return None
    match = _STREAM.fullmatch(name)
    if match is None:
        return None
    interval = match["interval"]
    if interval is not None and interval not in INTERVALS:
        return None
    levels = int(match["levels"]) if match["levels"] else None
    return StreamName(name, match["symbol"], match["kind"], levels, interval)


class _Sink:
    """What the hub writes into for one Binance stream (or a user's two private streams): encodes
    each /ws/v1/ frame and hands the Binance events to the connection."""

    def __init__(self, connection: "Connection", name: str, encoder: Encoder) -> None:
        self.connection = connection
        self.name = name
        self.encoder = encoder

    def push(self, frame: Frame) -> None:
        self.push_many([frame])

    def push_many(self, frames: list[Frame]) -> None:
        if isinstance(self.encoder, UserData):
            self.encoder.begin()
        payloads: list[dict[str, Any]] = []
        try:
            for frame in frames:
                payloads += self.encoder.encode(parsed(frame.text))
            if isinstance(self.encoder, UserData):
                payloads += self.encoder.finish()
        except Exception:
            log.exception("binance: encoding a frame for %s failed; closing the connection", self.name)
            self.connection.outbox.overflow()
            return
        self.connection.emit(self.name, payloads)

    def overflow(self) -> None:
        self.connection.outbox.overflow()


class Connection:
    """One Binance WebSocket: its outbox, its hub subscriptions, and how events are wrapped."""

    def __init__(self, *, hub: Hub, send: Send) -> None:
        self.hub = hub
        self.outbox = Outbox(
            send,
            limit=SEND_QUEUE_MAX,
            overflow_text=json.dumps({"error": {"code": WS_BAD_REQUEST, "msg": "Too slow: closed."}}),
            overflow_close_code=CloseCode.TOO_SLOW,
        )
        self.streams: dict[str, list[Subscription]] = {}
        self._second = 0
        self._ops = 0
        hub.listener_add(self)

    def heartbeat(self, now_ms: int) -> None:
        """Binance has no application heartbeat (the server pings at the WebSocket level)."""

    def wrap(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        return payload

    def emit(self, name: str, payloads: list[dict[str, Any]]) -> None:
        if payloads:
            self.outbox.push_many(
                [Frame(json.dumps(self.wrap(name, p), separators=(",", ":"))) for p in payloads]
            )

    def send(self, message: dict[str, Any]) -> None:
        self.outbox.push(Frame(json.dumps(message, separators=(",", ":"))))

    def close(self) -> None:
        self.hub.listener_remove(self)
        for subs in self.streams.values():
            for sub in subs:
                self.hub.remove(sub)
        self.streams.clear()
        self.outbox.stop()

    def parse(self, text_data: str | None) -> dict[str, Any]:
        second = int(time.monotonic())
        if second != self._second:
            self._second, self._ops = second, 0
        self._ops += 1
        if self._ops > MAX_OPS_PER_SECOND:
            raise StreamError(WS_BAD_REQUEST, f"Too many requests: at most {MAX_OPS_PER_SECOND} per second.")
        if text_data is None or len(text_data) > MAX_FRAME_BYTES:
            raise StreamError(WS_BAD_JSON, f"Send JSON text frames of at most {MAX_FRAME_BYTES} bytes.")
        try:
            message = json.loads(text_data, parse_constant=_refuse)
        except ValueError:
            raise StreamError(WS_BAD_JSON, "Invalid JSON.") from None
        if not isinstance(message, dict):
            raise StreamError(WS_BAD_JSON, "Invalid request: a JSON object is expected.")
        return message

    # --- subscriptions

    async def follow(
        self, entries: list[tuple[str, list[ChannelSpec], Encoder]], user: User | None,
        answer: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        """Joins each (stream name, /ws/v1/ channels, encoder) in the hub, reads the snapshots, sends
        `answer` (the request's reply goes before any event, as on Binance), then each snapshot
        through its encoder followed by the newer frames (marketdata.hub.Subscription)."""
        added: list[tuple[str, ChannelSpec, Subscription]] = []
        for name, specs, encoder in entries:
            sink = _Sink(self, name, encoder)
            for spec in specs:
                sub = Subscription(spec.key(user.pk if user else None), spec.name, sink)  # type: ignore[arg-type]
                self.hub.add(sub)
                self.streams.setdefault(name, []).append(sub)
                added.append((name, spec, sub))
        try:
            snapshots = await database_sync_to_async(snapshots_read)([spec for _, spec, _ in added], user)
        except Exception:
            for name, _, _ in added:
                self.forget(name)
            raise
        if answer is not None:
            self.send(answer)
        for (_, _, sub), (_, seq, text) in zip(added, snapshots, strict=True):
            sub.go_live(seq, Frame(text))

    def forget(self, name: str) -> None:
        for sub in self.streams.pop(name, []):
            self.hub.remove(sub)

    async def follow_user(self, user: User, answer: dict[str, Any] | None = None) -> None:
        """The user's orders and balances as Binance user-data events (one encoder for both)."""
        seed = await database_sync_to_async(_quote_filled)(user)
        lists = await database_sync_to_async(_open_lists)(user)
        specs = [ChannelSpec(ORDERS, ORDERS), ChannelSpec(BALANCES, BALANCES)]
        await self.follow([(USER_STREAM, specs, UserData(seed, lists))], user, answer)


USER_STREAM = "!userData"


def _quote_filled(user: User) -> dict[int, Decimal]:
    return {o.id: o.quote_filled for o in facade.open_orders(user=user, instrument=None)}


def _open_lists(user: User) -> dict[int, ListState]:
    """The user's open OCO lists as the user stream starts from them (their listStatus: EXEC_STARTED
    was sent before this stream opened)."""
    out = {}
    for lst in facade.open_order_lists(user=user):
        symbol = binance_symbol(lst.symbol)  # type: ignore[attr-defined]
        legs = {o.id: o.client_order_id for o in lst.orders.all()}
        out[lst.id] = ListState(symbol, lst.client_list_id, legs, status=lst.status)
    return out


def _refuse(name: str) -> Any:
    raise ValueError(name)


# ------------------------------------------------------------------------------ market streams


class MarketStreams(Connection):
    """/ws (raw events) and /stream (combined: `{"stream": name, "data": event}`), SUBSCRIBE and
    friends; and /ws/<listenKey>, the listen key's user-data stream (raw events)."""

    def __init__(self, *, hub: Hub, send: Send, combined: bool) -> None:
        super().__init__(hub=hub, send=send)
        self.combined = combined
        self.listen_key: tuple[str, int] | None = None  # (key, owner) of a listen-key stream
        self._key_check: asyncio.Task[None] | None = None

    async def follow_listen_key(self, listen_key: str, user: User) -> None:
        """The listen key's user-data stream; it ends with `listenKeyExpired` once the key is closed
        or expires (checked at every hub tick, marketdata.protocol.HEARTBEAT_SECONDS)."""
        self.listen_key = (listen_key, user.pk)
        await self.follow_user(user)

    def heartbeat(self, now_ms: int) -> None:
        if self.listen_key is not None and self._key_check is None:
            self._key_check = asyncio.get_running_loop().create_task(self._check_listen_key(*self.listen_key))

    async def _check_listen_key(self, listen_key: str, owner: int) -> None:
        try:
            if await database_sync_to_async(listen_key_user_id)(listen_key) != owner:
                event = {"e": "listenKeyExpired", "E": int(time.time() * 1000), "listenKey": listen_key}
                self.listen_key = None
                self.outbox.finish(json.dumps(event, separators=(",", ":")), CLOSE_NORMAL)
        except Exception:
            log.warning("binance: checking a listen key failed; checking again later", exc_info=True)
        finally:
            self._key_check = None

    def close(self) -> None:
        if self._key_check is not None:
            self._key_check.cancel()
        super().close()

    def wrap(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"stream": name, "data": payload} if self.combined and name != USER_STREAM else payload

    async def receive(self, text_data: str | None) -> None:
        request_id: Any = None
        try:
            message = self.parse(text_data)
            request_id = message.get("id")
            if request_id is not None and not (
                isinstance(request_id, int | str) and not isinstance(request_id, bool) and len(str(request_id)) <= 64
            ):  # fmt: skip
                request_id = None
                raise StreamError(
                    WS_BAD_VALUE, "Invalid value type: id must be an integer or a short string."
                )
            method = message.get("method")
            handler = _METHODS.get(method) if isinstance(method, str) else None
            if handler is None:
                raise StreamError(WS_BAD_REQUEST, f"Invalid request: unknown method {str(method)[:32]!r}.")
            answer = {"result": None, "id": request_id}
            answer["result"] = await handler(self, message.get("params"), answer)
            if answer.get("result") is not ANSWERED:
                self.send(answer)
        except StreamError as error:
            self.send({"error": {"code": error.code, "msg": error.msg}, "id": request_id})

    async def subscribe(self, params: Any, answer: dict[str, Any]) -> object:
        names = _names(params)
        new = [n for n in names if n.name not in self.streams]
        if len(self.streams) + len(new) > MAX_STREAMS:
            raise StreamError(
                WS_BAD_REQUEST, f"Invalid request: at most {MAX_STREAMS} streams per connection."
            )
        await self.follow_names(new, answer)
        return ANSWERED

    async def follow_names(self, names: list[StreamName], answer: dict[str, Any] | None = None) -> None:
        symbols = await database_sync_to_async(lambda: {k: i.symbol for k, i in symbol_map().items()})()
        unknown = [n.name for n in names if n.symbol.upper() not in symbols]
        if unknown:
            raise StreamError(WS_BAD_REQUEST, f"Invalid request: unknown symbol in {unknown[0]!r}.")
        entries = [(n.name, [n.channel(symbols[n.symbol.upper()])], n.encoder()) for n in names]
        await self.follow(entries, None, answer)

    async def unsubscribe(self, params: Any, answer: dict[str, Any]) -> None:
        for name in _names(params):
            self.forget(name.name)

    async def list_subscriptions(self, params: Any, answer: dict[str, Any]) -> list[str]:
        if params not in (None, []):
            raise StreamError(WS_BAD_REQUEST, "Invalid request: LIST_SUBSCRIPTIONS takes no params.")
        return [n for n in self.streams if n != USER_STREAM]

    async def set_property(self, params: Any, answer: dict[str, Any]) -> None:
        if not (isinstance(params, list) and len(params) == 2 and params[0] == "combined"):
            raise StreamError(WS_UNKNOWN_PROPERTY, "Unknown property.")
        if not isinstance(params[1], bool):
            raise StreamError(WS_BAD_VALUE, "Invalid value type: expected Boolean.")
        self.combined = params[1]

    async def get_property(self, params: Any, answer: dict[str, Any]) -> bool:
        if params != ["combined"]:
            raise StreamError(WS_UNKNOWN_PROPERTY, "Unknown property.")
        return self.combined


ANSWERED = object()
"""A method's result when it has sent its answer itself (before the first event)."""

_METHODS: dict[str, Callable[[MarketStreams, Any, dict[str, Any]], Any]] = {
    "SUBSCRIBE": MarketStreams.subscribe,
    "UNSUBSCRIBE": MarketStreams.unsubscribe,
    "LIST_SUBSCRIPTIONS": MarketStreams.list_subscriptions,
    "SET_PROPERTY": MarketStreams.set_property,
    "GET_PROPERTY": MarketStreams.get_property,
}


def _names(params: Any) -> list[StreamName]:
    if not isinstance(params, list) or not 0 < len(params) <= MAX_STREAMS:
        raise StreamError(
            WS_BAD_REQUEST, f"Invalid request: params must be a list of 1 to {MAX_STREAMS} streams."
        )
    out: dict[str, StreamName] = {}
    for raw in params:
        name = stream_parse(raw)
        if name is None:
            raise StreamError(WS_BAD_REQUEST, f"Invalid request: unknown stream {str(raw)[:64]!r}.")
        out[name.name] = name
    return list(out.values())


def streams_from_path(text: str) -> list[StreamName] | None:
    """The streams named in a URL (`a/b/c`), or None if any part is not a stream name."""
    names = [stream_parse(part) for part in text.split("/") if part]
    if not names or any(n is None for n in names) or len(names) > MAX_STREAMS:
        return None
    return names  # type: ignore[return-value]
