"""The /ws/v1/ frames of the per-process fan-out, re-encoded as Binance stream events.

The engine publishes each batch once (marketdata.publisher) and each web process's hub hands the
ready-made /ws/v1/ frames to its subscriptions (marketdata.hub). A Binance subscription is such a
subscription whose sink is an encoder: it reads the frame (parsed once per process and text) and
writes Binance's event instead. The sequence numbers are the same ones: a depth diff's `U`/`u` are
the /ws/v1/ update's `prev_seq + 1` / `seq`, and REST depth's `lastUpdateId` is the snapshot seq,
so Binance's "manage a local order book" procedure chains exactly as the /ws/v1/ rules do.

Encoders are pure (one frame in, zero or more Binance payloads out), with state only where Binance
sends something QuantX does not publish as such: a partial book (depth5/10/20) is kept from the
snapshot and the diffs; user data keeps balances (for balanceUpdate deltas) and each order's
cumulative quote (executionReport `Z`).
"""

import functools
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from binance_compat.encode import LIST_ORDER_STATUS, LIST_STATUS_TYPE, d8
from binance_compat.symbols import binance_symbol
from marketdata.protocol import EV_SNAPSHOT

Payload = dict[str, Any]


@functools.lru_cache(maxsize=4096)
def parsed(text: str) -> dict[str, Any]:
    """A /ws/v1/ frame, parsed once per process (the hub hands the same text to every socket).
    Callers must not modify it."""
    return json.loads(text)  # type: ignore[no-any-return]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class Encoder:
    """One Binance stream over one /ws/v1/ routing key."""

    def encode(self, frame: dict[str, Any]) -> list[Payload]:
        if frame.get("event") == EV_SNAPSHOT:
            return self.snapshot(frame["data"], frame["seq"])
        return self.update(frame["data"], frame)

    def snapshot(self, data: Any, seq: int) -> list[Payload]:
        return []

    def update(self, data: Any, frame: dict[str, Any]) -> list[Payload]:
        return []


class DiffDepth(Encoder):
    """`<symbol>@depth[@100ms]`: the changed levels of each batch (absolute quantities, 0 = gone)."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol

    def update(self, data: Any, frame: dict[str, Any]) -> list[Payload]:
        return [{
            "e": "depthUpdate", "E": data["time"], "s": self.symbol, "U": frame["prev_seq"] + 1, "u": frame["seq"],
            "b": [[d8(p), d8(q)] for p, q in data["bids"]], "a": [[d8(p), d8(q)] for p, q in data["asks"]],
        }]  # fmt: skip


class PartialDepth(Encoder):
    """`<symbol>@depth<N>[@100ms]`: the top N levels after every change, from a book kept here."""

    def __init__(self, levels: int) -> None:
        self.levels = levels
        self.bids: dict[Decimal, str] = {}
        self.asks: dict[Decimal, str] = {}
        self.seq = 0

    def _apply(self, side: dict[Decimal, str], rows: list[list[str]]) -> None:
        for price, qty in rows:
            if Decimal(qty) == 0:
                side.pop(Decimal(price), None)
            else:
                side[Decimal(price)] = qty

    def _top(self) -> Payload:
        bids = sorted(self.bids.items(), reverse=True)[: self.levels]
        asks = sorted(self.asks.items())[: self.levels]
        return {
            "lastUpdateId": self.seq,
            "bids": [[d8(p), d8(q)] for p, q in bids],
            "asks": [[d8(p), d8(q)] for p, q in asks],
        }

    def snapshot(self, data: Any, seq: int) -> list[Payload]:
        self.bids, self.asks, self.seq = {}, {}, seq
        self._apply(self.bids, data["bids"])
        self._apply(self.asks, data["asks"])
        return [self._top()]

    def update(self, data: Any, frame: dict[str, Any]) -> list[Payload]:
        if frame["seq"] <= self.seq:
            return []
        self._apply(self.bids, data["bids"])
        self._apply(self.asks, data["asks"])
        self.seq = frame["seq"]
        return [self._top()]


class Trades(Encoder):
    """`<symbol>@trade` (one event per trade) or `@aggTrade` (QuantX does not merge fills: one each)."""

    def __init__(self, symbol: str, *, aggregate: bool) -> None:
        self.symbol = symbol
        self.aggregate = aggregate

    def update(self, data: Any, frame: dict[str, Any]) -> list[Payload]:
        out = []
        for t in data:
            price, qty, buyer_maker = d8(t["price"]), d8(t["qty"]), t["side"] == "SELL"
            if self.aggregate:
                out.append({"e": "aggTrade", "E": t["time"], "s": self.symbol, "a": t["id"], "p": price, "q": qty,
                            "f": t["id"], "l": t["id"], "T": t["time"], "m": buyer_maker, "M": True})  # fmt: skip
            else:
                out.append({"e": "trade", "E": t["time"], "s": self.symbol, "t": t["id"], "p": price, "q": qty,
                            "T": t["time"], "m": buyer_maker, "M": True})  # fmt: skip
        return out


class Kline(Encoder):
    """`<symbol>@kline_<interval>`: the current candle (the snapshot's newest, then every change)."""

    def __init__(self, symbol: str, interval: str) -> None:
        self.symbol = symbol
        self.interval = interval

    def _event(self, c: dict[str, Any], final: bool = False) -> Payload:
        now = _now_ms()
        return {"e": "kline", "E": now, "s": self.symbol, "k": {
            "t": c["open_time"], "T": c["close_time"], "s": self.symbol, "i": self.interval, "f": -1, "L": -1,
            "o": d8(c["open"]), "c": d8(c["close"]), "h": d8(c["high"]), "l": d8(c["low"]), "v": d8(c["volume"]),
            "n": c["trades"], "x": final or now > c["close_time"], "q": d8(c["quote_volume"]), "V": "0.00000000",
            "Q": "0.00000000", "B": "0",
        }}  # fmt: skip

    def snapshot(self, data: Any, seq: int) -> list[Payload]:
        return [self._event(data[-1])] if data else []

    def update(self, data: Any, frame: dict[str, Any]) -> list[Payload]:
        return [self._event(data)]


class Ticker(Encoder):
    """`<symbol>@ticker` or `@miniTicker`, from the ticker QuantX publishes with every change of the
    symbol, and `@bookTicker` from the `book:` channel (sent when the top of the book changes; its
    best_* fields are the ticker's); each with its snapshot when subscribing."""

    def __init__(self, symbol: str, kind: str) -> None:
        self.symbol = symbol
        self.kind = kind

    def _events(self, t: dict[str, Any], seq: int) -> list[Payload]:
        if self.kind == "bookTicker":
            return [{"u": seq, "s": self.symbol, "b": d8(t["best_bid"]), "B": d8(t["best_bid_qty"]),
                     "a": d8(t["best_ask"]), "A": d8(t["best_ask_qty"])}]  # fmt: skip
        last = t["last"]
        open_ = t["open"] if t["open"] is not None else last
        mini = {
            "e": "24hrMiniTicker" if self.kind == "miniTicker" else "24hrTicker", "E": t["time"], "s": self.symbol,
            "c": d8(last), "o": d8(open_), "h": d8(t["high"] if t["high"] is not None else last),
            "l": d8(t["low"] if t["low"] is not None else last), "v": d8(t["volume"]), "q": d8(t["quote_volume"]),
        }  # fmt: skip
        if self.kind == "miniTicker":
            return [mini]
        volume = Decimal(t["volume"] or 0)
        vwap = Decimal(t["quote_volume"]) / volume if volume else Decimal(last or 0)
        return [{
            **mini, "p": d8(t["change"] or 0), "P": f"{Decimal(t['change_pct'] or 0):.3f}",
            "w": d8(vwap.quantize(Decimal("0.00000001"))), "x": d8(open_), "Q": "0.00000000",
            "b": d8(t["best_bid"]), "B": d8(t["best_bid_qty"]), "a": d8(t["best_ask"]), "A": d8(t["best_ask_qty"]),
            "O": t["window_start"], "C": t["time"], "F": -1, "L": -1, "n": t["trades"],
        }]  # fmt: skip

    def snapshot(self, data: Any, seq: int) -> list[Payload]:
        return self._events(data, seq)

    def update(self, data: Any, frame: dict[str, Any]) -> list[Payload]:
        return self._events(data, frame["seq"])


@dataclass
class ListState:
    """What the user stream knows of one OCO list: enough for Binance's listStatus event."""

    symbol: str
    client_list_id: str | None
    legs: dict[int, str] = field(default_factory=dict)  # order id -> client order id
    status: str | None = None  # the status last sent in a listStatus (None: none sent yet)
    pending: str | None = None  # the status the batch's reports say
    time: int = 0


class UserData(Encoder):
    """A user's `orders` and `balances` streams as executionReport, outboundAccountPosition and
    balanceUpdate events, and listStatus for OCO lists. One encoder serves both keys, so it sees a
    batch's frames together: a balance change with no order report in the same batch is a deposit,
    withdrawal or adjustment (balanceUpdate, with the delta from the balances it keeps); a list whose
    status the batch's leg reports changed gets one listStatus after them (`finish`)."""

    def __init__(self, quote_filled: dict[int, Decimal], lists: dict[int, ListState] | None = None) -> None:
        self.totals: dict[str, Decimal] = {}
        self.quote_filled = quote_filled  # order id -> cumulative quote (seeded with the open orders)
        self.lists = lists if lists is not None else {}  # list id -> its state (seeded with the open lists)
        self.touched: list[int] = []
        self.saw_report = False

    def begin(self) -> None:
        self.saw_report = False
        self.touched = []

    def finish(self) -> list[Payload]:
        """A listStatus for each list whose status changed in this batch (EXEC_STARTED when placed,
        ALL_DONE when it ended); a list that ended is forgotten once said."""
        out = []
        for list_id in self.touched:
            lst = self.lists[list_id]
            if lst.pending is None or lst.pending == lst.status:
                continue
            lst.status = lst.pending
            out.append({
                "e": "listStatus", "E": lst.time, "s": lst.symbol, "g": list_id, "c": "OCO",
                "l": LIST_STATUS_TYPE.get(lst.status, "ALL_DONE"), "L": LIST_ORDER_STATUS.get(lst.status, "ALL_DONE"),
                "r": "NONE", "C": lst.client_list_id, "T": lst.time,
                "O": [{"s": lst.symbol, "i": i, "c": c} for i, c in sorted(lst.legs.items())],
            })  # fmt: skip
            if lst.status != "EXECUTING":
                del self.lists[list_id]
        self.touched = []
        return out

    def _list_leg(self, r: dict[str, Any]) -> None:
        list_id = r.get("order_list_id")
        if list_id is None:
            return
        lst = self.lists.get(list_id)
        if lst is None:
            lst = self.lists[list_id] = ListState(binance_symbol(r["symbol"]), r.get("order_list_client_id"))
        lst.client_list_id = r.get("order_list_client_id") or lst.client_list_id
        lst.legs[r["order_id"]] = r["client_order_id"]
        lst.pending, lst.time = r.get("order_list_status"), r["time"]
        if list_id not in self.touched:
            self.touched.append(list_id)

    def snapshot(self, data: Any, seq: int) -> list[Payload]:
        if data and "asset" in data[0]:
            self.totals = {b["asset"]: Decimal(b["free"]) + Decimal(b["locked"]) for b in data}
        return []

    def update(self, data: Any, frame: dict[str, Any]) -> list[Payload]:
        if frame.get("channel") == "orders":
            self.saw_report = True
            return self._reports(data)
        now = _now_ms()
        out: list[Payload] = []
        for b in data:
            total = Decimal(b["free"]) + Decimal(b["locked"])
            delta = total - self.totals.get(b["asset"], Decimal(0))
            self.totals[b["asset"]] = total
            if not self.saw_report and delta:
                out.append({"e": "balanceUpdate", "E": now, "a": b["asset"], "d": d8(delta) if delta > 0 else
                            f"-{d8(-delta)}", "T": now})  # fmt: skip
        out.append({"e": "outboundAccountPosition", "E": now, "u": now,
                    "B": [{"a": b["asset"], "f": d8(b["free"]), "l": d8(b["locked"])} for b in data]})  # fmt: skip
        return out

    def _reports(self, r: dict[str, Any]) -> list[Payload]:
        """One executionReport per fill (as Binance sends them), else one for the change itself."""
        order_id = r["order_id"]
        fills = r.get("fills") or []
        filled_after = Decimal(r["filled"])
        filled = filled_after - sum((Decimal(f["qty"]) for f in fills), Decimal(0))
        quote = self.quote_filled.get(order_id, Decimal(0))
        base = {
            "e": "executionReport", "E": r["time"], "s": binance_symbol(r["symbol"]), "c": r["client_order_id"],
            "S": r["side"], "o": r["type"], "f": r["tif"], "q": d8(r["qty"] if r["qty"] is not None else r["filled"]),
            "p": d8(r["price"]), "P": d8(r["stop_price"]), "F": "0.00000000", "g": _list_id(r), "C": "", "r": "NONE",
            "i": order_id, "T": r["time"], "I": 0, "w": _working(r), "M": False,
            "O": r["time"], "Q": d8(r["quote_qty"]), "W": r["time"], "V": "NONE",
        }  # fmt: skip
        if r.get("trailing_delta") is not None:
            base["d"] = r["trailing_delta"]
        self._list_leg(r)
        out = []
        for n, f in enumerate(fills):
            filled += Decimal(f["qty"])
            quote += Decimal(f["quote_qty"])
            last = n == len(fills) - 1
            status = r["status"] if last else "PARTIALLY_FILLED"
            out.append({**base, "x": "TRADE", "X": status, "l": d8(f["qty"]), "z": d8(filled), "L": d8(f["price"]),
                        "n": d8(f["fee"]), "N": f["fee_asset"], "t": f["trade_id"], "m": f["liquidity"] == "MAKER",
                        "Z": d8(quote), "Y": d8(f["quote_qty"])})  # fmt: skip
        if not fills:
            status = r["status"]
            out.append({**base, "x": "NEW" if status in ("NEW", "PARTIALLY_FILLED") else status, "X": status,
                        "l": "0.00000000", "z": d8(filled_after), "L": "0.00000000", "n": "0", "N": None, "t": -1,
                        "m": False, "Z": d8(quote), "Y": "0.00000000"})  # fmt: skip
            if status == "REJECTED":
                out[-1]["r"] = r.get("reason") or "NONE"
        if r["status"] in ("NEW", "PARTIALLY_FILLED"):
            self.quote_filled[order_id] = quote
        else:
            self.quote_filled.pop(order_id, None)
        return out


def _list_id(r: dict[str, Any]) -> int:
    list_id = r.get("order_list_id")
    return -1 if list_id is None else int(list_id)


def _working(r: dict[str, Any]) -> bool:
    """On the book (Binance's `w`): open, and for a stop, triggered."""
    waiting_stop = r["type"] in ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and not r.get("triggered", True)
    return r["status"] in ("NEW", "PARTIALLY_FILLED") and not waiting_stop
