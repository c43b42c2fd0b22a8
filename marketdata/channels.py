"""Channel names, snapshots and error frames of the WebSocket protocol (docs/websocket.md).

`channel_parse` checks a channel name's form; `snapshots_read` reads, in one thread hop, the
snapshot of each channel a client subscribes to, each with the seq it is consistent with (read
before the data where two reads are needed: see marketdata.selectors).
"""

import json
from dataclasses import dataclass
from typing import Any

from accounts.models import User
from marketdata import selectors
from marketdata.protocol import (
    BALANCES,
    BOOK,
    CANDLES,
    DEPTH,
    EV_ERROR,
    EV_SNAPSHOT,
    INTERVALS,
    ORDERS,
    PRIVATE_KINDS,
    PUBLIC_KINDS,
    SNAPSHOT_CANDLES,
    SNAPSHOT_TRADES,
    TICKER,
    TRADES,
    WITHDRAWALS,
    private_key,
)
from marketdata.withdrawals import withdrawals_snapshot
from quantx_site.errors import ErrorCode
from trading.selectors import instrument_list


def text(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"))


class ProtocolError(Exception):
    """A refused client frame: answered with an error frame, the connection is kept."""

    def __init__(self, code: int, msg: str, **extra: Any) -> None:
        super().__init__(msg)
        self.code = int(code)
        self.msg = msg
        self.extra = extra


# ---------------------------------------------------------------------------- channels


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    name: str  # as the client wrote it
    kind: str
    symbol: str | None = None
    interval: str | None = None

    @property
    def private(self) -> bool:
        return self.kind in PRIVATE_KINDS

    def key(self, user_id: int | None) -> str:
        """The hub's routing key: the name itself, or the user's private key."""
        if self.private:
            assert user_id is not None
            return private_key(self.kind, user_id)
        return self.name


def channel_parse(name: Any) -> ChannelSpec:
    """A channel name's parts (format only; symbols are checked against the database later)."""
    if not isinstance(name, str) or not 0 < len(name) <= 64:
        raise ProtocolError(ErrorCode.ILLEGAL_PARAMETER, "channels: each channel must be a short string.")
    if name in PRIVATE_KINDS:
        return ChannelSpec(name, name)
    kind, _, rest = name.partition(":")
    if kind not in PUBLIC_KINDS or not rest:
        raise ProtocolError(ErrorCode.ILLEGAL_PARAMETER, f"channels: unknown channel {name!r}.", channel=name)
    if kind == CANDLES:
        symbol, _, interval = rest.partition(":")
        if interval not in INTERVALS:
            raise ProtocolError(
                ErrorCode.BAD_INTERVAL,
                f"channels: {name!r} needs an interval: one of {', '.join(INTERVALS)}.",
                channel=name,
            )
        return ChannelSpec(name, kind, symbol, interval)
    return ChannelSpec(name, kind, rest)


def snapshots_read(specs: list[ChannelSpec], user: User | None) -> list[tuple[ChannelSpec, int, str]]:
    """(spec, seq, snapshot frame text) of each channel; ProtocolError on an unknown symbol.

    Sync (database and cache); each seq is read before the data it describes.
    """
    symbols = {s.symbol for s in specs if s.symbol is not None}
    instruments = {i.symbol: i for i in instrument_list().filter(symbol__in=symbols)}
    unknown = sorted(symbols - instruments.keys())
    if unknown:
        raise ProtocolError(
            ErrorCode.BAD_SYMBOL, f"channels: unknown symbol {unknown[0]!r}.", symbol=unknown[0]
        )
    out = []
    for spec in specs:
        data: Any
        if spec.kind == DEPTH:
            depth = selectors.depth_snapshot(instruments[spec.symbol])  # type: ignore[index]
            seq, data = depth.seq, {**depth.as_wire(), "checksum": depth.checksum}
        elif spec.kind == TRADES:
            seq, data = selectors.trades_recent(instrument=instruments[spec.symbol], limit=SNAPSHOT_TRADES)  # type: ignore[index]
        elif spec.kind == TICKER:
            instrument = instruments[spec.symbol]  # type: ignore[index]
            seq = selectors.symbol_seq(instrument)
            data = selectors.tickers([instrument])[0]
        elif spec.kind == CANDLES:
            instrument = instruments[spec.symbol]  # type: ignore[index]
            seq = selectors.symbol_seq(instrument)
            candles = selectors.candles_get(
                symbol=instrument.symbol, interval=spec.interval or "", limit=SNAPSHOT_CANDLES
            )
            data = [c.as_wire() for c in candles]
        elif spec.kind == BOOK:
            seq, data = selectors.book_ticker_snapshot(instruments[spec.symbol])  # type: ignore[index]
        elif spec.kind == ORDERS:
            assert user is not None
            seq, data = selectors.open_orders_snapshot(user=user)
        elif spec.kind == WITHDRAWALS:
            assert user is not None
            seq, data = withdrawals_snapshot(user=user)
        else:
            assert user is not None and spec.kind == BALANCES
            seq, data = selectors.balances_snapshot(user=user)
        out.append((spec, seq, text({"event": EV_SNAPSHOT, "channel": spec.name, "seq": seq, "data": data})))
    return out


def error_text(code: int, msg: str, *, request_id: Any = None, **extra: Any) -> str:
    frame: dict[str, Any] = {"event": EV_ERROR, "code": int(code), "msg": msg}
    if request_id is not None:
        frame["id"] = request_id
    frame.update(extra)
    return text(frame)
