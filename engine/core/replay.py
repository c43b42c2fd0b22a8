"""Replay a JSON Lines command log through the matching engine (docs/replay-format.md).

    python -m engine.core.replay [--final] < commands.jsonl > events.jsonl

A line that is not a valid command (bad JSON, unknown op or field, missing or mistyped field, bad or
off-tick/off-lot decimal, order on a symbol with no instrument line before it) stops the replay:
the events so far are written, then ``line N: <why>`` goes to stderr and the exit status is 1.
Commands the engine refuses (duplicate id, unknown order, bad amend, bad field combination) are
not input errors: they print a ``refused`` event and the replay goes on.
"""

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable
from decimal import Decimal
from enum import StrEnum
from typing import IO, Any, TypeVar

from engine.core.engine import MatchingEngine
from engine.core.enums import STP, OrderStatus, OrderType, Side, TimeInForce
from engine.core.errors import FilterError
from engine.core.events import OrderEvent, Refused, TradeEvent, TrailEvent, TriggerEvent
from engine.core.spec import InstrumentSpec

_DECIMAL = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)\Z")
_FIELDS = {
    "instrument": ({"op", "symbol", "tick_size", "lot_size"}, {"symbol", "tick_size", "lot_size"}),
    "place": (
        {
            "op",
            "id",
            "owner",
            "symbol",
            "side",
            "type",
            "price",
            "qty",
            "quote_qty",
            "stop_price",
            "tif",
            "stp",
            "trailing_delta",
        },
        {"id", "owner", "symbol", "side", "type"},
    ),
    "place_oco": (
        {
            "op",
            "owner",
            "symbol",
            "side",
            "qty",
            "limit_id",
            "price",
            "stop_id",
            "stop_price",
            "stop_limit_price",
            "trailing_delta",
            "stop_tif",
            "stp",
        },
        {"owner", "symbol", "side", "qty", "limit_id", "price", "stop_id", "stop_limit_price"},
    ),
    "amend": ({"op", "id", "symbol", "qty"}, {"id", "symbol", "qty"}),
    "cancel": ({"op", "id", "symbol"}, {"id", "symbol"}),
}
_E = TypeVar("_E", bound=StrEnum)


class InputError(Exception):
    """A line that is not a valid command."""


def _int(d: dict[str, Any], key: str) -> int:
    v = d[key]
    if type(v) is not int:
        raise InputError(f'"{key}" must be an integer, got {json.dumps(v)}')
    return v


def _str(d: dict[str, Any], key: str) -> str:
    v = d[key]
    if type(v) is not str or not v:
        raise InputError(f'"{key}" must be a non-empty string, got {json.dumps(v)}')
    return v


def _enum(cls: type[_E], d: dict[str, Any], key: str, default: _E | None = None) -> _E:
    v = d.get(key)
    if v is None and default is not None and key not in d:
        return default
    try:
        if type(v) is not str:
            raise ValueError
        return cls(v)
    except ValueError:
        raise InputError(f'"{key}" must be one of {", ".join(cls)}, got {json.dumps(v)}') from None


def _decimal(d: dict[str, Any], key: str) -> Decimal:
    v = d[key]
    if type(v) is not str or not _DECIMAL.match(v):
        raise InputError(f'"{key}" must be a decimal string like "1.25", got {json.dumps(v)}')
    return Decimal(v)


class Replayer:
    """Feeds parsed commands to a MatchingEngine and renders its events as JSON lines."""

    def __init__(self) -> None:
        self.engine = MatchingEngine()
        self.specs: dict[str, InstrumentSpec] = {}
        self._quoted: dict[str, str] = {}  # symbol -> its JSON string literal
        self._cache: dict[tuple[str, str, str], int] = {}  # (symbol, kind, decimal text) -> int
        self.final_orders: dict[int, tuple[OrderStatus, int, str]] = {}  # id -> (status, lots, symbol)

    def _convert(
        self, spec: InstrumentSpec, d: dict[str, Any], key: str, conv: Callable[[Decimal], int]
    ) -> int:
        text = d[key]
        ck = (spec.symbol, key, text) if type(text) is str else None
        if ck is not None:
            hit = self._cache.get(ck)
            if hit is not None:
                return hit
        try:
            n = conv(_decimal(d, key))
        except FilterError as e:
            raise InputError(f'"{key}": {e} ({e.reason.code})') from None
        if ck is not None:
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache[ck] = n
        return n

    def _spec(self, d: dict[str, Any]) -> InstrumentSpec:
        symbol = _str(d, "symbol")
        spec = self.specs.get(symbol)
        if spec is None:
            raise InputError(f'no "instrument" line for symbol {json.dumps(symbol)} before this line')
        return spec

    def apply(self, line: bytes | str, out: list[str]) -> None:
        """Parse one line, run it, append the rendered events to ``out``; InputError if invalid."""
        try:
            d = json.loads(line)
        except (ValueError, RecursionError) as e:
            raise InputError(f"invalid JSON: {e}") from None
        if type(d) is not dict:
            raise InputError("a command must be a JSON object")
        op = d.get("op")
        fields = _FIELDS.get(op) if type(op) is str else None
        if fields is None:
            raise InputError(f"unknown op {json.dumps(op)}; expected one of {', '.join(_FIELDS)}")
        allowed, required = fields
        keys = d.keys()
        if not keys <= allowed:
            raise InputError(f"unknown field(s) for {op}: {', '.join(sorted(keys - allowed))}")
        if not keys >= required:
            raise InputError(f"missing field(s) for {op}: {', '.join(sorted(required - keys))}")
        eng = self.engine
        if op == "place":
            spec = self._spec(d)
            conv = self._convert
            events = eng.place(
                _int(d, "id"),
                _int(d, "owner"),
                spec.symbol,
                _enum(Side, d, "side"),
                _enum(OrderType, d, "type"),
                conv(spec, d, "qty", spec.qty_to_lots) if "qty" in d else None,
                conv(spec, d, "price", spec.price_to_ticks) if "price" in d else None,
                conv(spec, d, "stop_price", spec.price_to_ticks) if "stop_price" in d else None,
                _enum(TimeInForce, d, "tif", TimeInForce.GTC),
                _enum(STP, d, "stp", STP.NONE),
                conv(spec, d, "quote_qty", spec.quote_to_units) if "quote_qty" in d else None,
                _int(d, "trailing_delta") if "trailing_delta" in d else None,
            )
            self._render(events, out, "place", False)
        elif op == "place_oco":
            spec = self._spec(d)
            conv = self._convert
            events = eng.place_oco(
                _int(d, "owner"),
                spec.symbol,
                _enum(Side, d, "side"),
                conv(spec, d, "qty", spec.qty_to_lots),
                _int(d, "limit_id"),
                conv(spec, d, "price", spec.price_to_ticks),
                _int(d, "stop_id"),
                conv(spec, d, "stop_limit_price", spec.price_to_ticks),
                conv(spec, d, "stop_price", spec.price_to_ticks) if "stop_price" in d else None,
                trailing_delta=_int(d, "trailing_delta") if "trailing_delta" in d else None,
                stop_tif=_enum(TimeInForce, d, "stop_tif", TimeInForce.GTC),
                stp=_enum(STP, d, "stp", STP.NONE),
            )
            self._render(events, out, "place_oco", False)
        elif op == "cancel":
            spec = self._spec(d)
            self._render(eng.cancel(_int(d, "id"), spec.symbol), out, "cancel", False)
        elif op == "amend":
            spec = self._spec(d)
            qty = _decimal(d, "qty")
            # a non-positive new quantity is the engine's to refuse (BAD_AMEND); off-lot is bad input
            lots = 0 if qty <= 0 else self._convert(spec, d, "qty", spec.qty_to_lots)
            self._render(eng.amend(_int(d, "id"), spec.symbol, lots), out, "amend", True)
        else:
            self._instrument(d)

    def _instrument(self, d: dict[str, Any]) -> None:
        symbol = _str(d, "symbol")
        if symbol in self.specs:
            raise InputError(f"instrument {json.dumps(symbol)} is already defined")
        try:
            spec = InstrumentSpec(symbol, _decimal(d, "tick_size"), _decimal(d, "lot_size"))
        except ValueError as e:
            raise InputError(str(e)) from None
        self.specs[symbol] = spec
        self._quoted[symbol] = json.dumps(symbol)
        self.engine.add_instrument(spec)

    def _render(self, events: Iterable[object], out: list[str], op: str, with_remaining: bool) -> None:
        final = self.final_orders
        for ev in events:
            if ev.__class__ is OrderEvent:
                assert isinstance(ev, OrderEvent)
                spec = self.specs[ev.symbol]
                filled = spec.format_qty(ev.filled)
                extra = f',"remaining":"{spec.format_qty(ev.remaining)}"' if with_remaining else ""
                if ev.reason is not None:
                    extra += f',"reason":"{ev.reason.code}"'
                out.append(
                    f'{{"event":"order","id":{ev.order_id},"status":"{ev.status}","filled":"{filled}"{extra}}}\n'
                )
                final[ev.order_id] = (ev.status, ev.filled, ev.symbol)
            elif ev.__class__ is TradeEvent:
                assert isinstance(ev, TradeEvent)
                spec = self.specs[ev.symbol]
                out.append(
                    f'{{"event":"trade","symbol":{self._quoted[ev.symbol]},"seq":{ev.seq},"taker":{ev.taker_id},'
                    f'"maker":{ev.maker_id},"price":"{spec.format_price(ev.price)}","qty":"{spec.format_qty(ev.qty)}",'
                    f'"taker_side":"{ev.taker_side}"}}\n'
                )
            elif ev.__class__ is TriggerEvent:
                assert isinstance(ev, TriggerEvent)
                px = self.specs[ev.symbol].format_price(ev.trigger_price)
                out.append(
                    f'{{"event":"triggered","id":{ev.order_id},"trigger_price":"{px}","seq":{ev.seq}}}\n'
                )
            elif ev.__class__ is TrailEvent:
                assert isinstance(ev, TrailEvent)
                spec = self.specs[ev.symbol]
                out.append(
                    f'{{"event":"trail","id":{ev.order_id},"peak":"{spec.format_price(ev.peak)}",'
                    f'"trigger_price":"{spec.format_price(ev.trigger_price)}"}}\n'
                )
            else:
                assert isinstance(ev, Refused)
                oid = "null" if ev.order_id is None else str(ev.order_id)
                out.append(f'{{"event":"refused","op":"{op}","id":{oid},"reason":"{ev.reason.code}"}}\n')

    def final_line(self) -> str:
        """The ``--final`` summary: every order's last status and filled qty, full depth, state hash."""
        orders = {
            str(oid): [str(status), self.specs[sym].format_qty(filled)]
            for oid, (status, filled, sym) in sorted(self.final_orders.items())
        }
        depth = {}
        for symbol, spec in self.specs.items():
            bids, asks = self.engine.depth(symbol)
            depth[symbol] = {
                "bids": [[spec.format_price(p), spec.format_qty(q)] for p, q in bids],
                "asks": [[spec.format_price(p), spec.format_qty(q)] for p, q in asks],
            }
        body = {"orders": orders, "depth": depth, "state_hash": self.engine.state_hash()}
        return json.dumps({"final": body}, separators=(",", ":")) + "\n"


def run(inp: IO[bytes], out: IO[str], err: IO[str], final: bool) -> int:
    """Replay ``inp`` to ``out``; returns the exit status (0 ok, 1 bad input line)."""
    r = Replayer()
    buf: list[str] = []
    lineno = 0
    try:
        for lineno, line in enumerate(inp, 1):  # noqa: B007 (lineno is used after the loop)
            if not line.strip():
                continue
            r.apply(line, buf)
            if len(buf) >= 4096:
                out.write("".join(buf))
                buf.clear()
    except InputError as e:
        out.write("".join(buf))
        out.flush()
        err.write(f"line {lineno}: {e}\n")
        return 1
    out.write("".join(buf))
    if final:
        out.write(r.final_line())
    out.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m engine.core.replay", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--final", action="store_true", help="end with a summary line (orders, depth, state hash)"
    )
    args = ap.parse_args(argv)
    return run(sys.stdin.buffer, sys.stdout, sys.stderr, args.final)


if __name__ == "__main__":
    sys.exit(main())
