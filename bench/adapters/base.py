"""The neutral command stream and the adapter contract shared by every order book in the benchmark.

The standard streams (bench/standard_stream.py) are JSON-like dicts with Decimal strings.
`load_stream` turns them once into `Stream.commands`, plain tuples of integers (price in ticks,
quantity in lots); each adapter then turns that neutral form into its library's native input
before anything is timed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

PLACE, CANCEL, AMEND = 0, 1, 2

# (PLACE, order_id, owner, side, type, tif, ticks, lots); side "BUY"/"SELL", type "LIMIT"/"MARKET"/
# "LIMIT_MAKER", tif "GTC"/"IOC"/"FOK" or None (MARKET, LIMIT_MAKER), ticks None for MARKET.
# (CANCEL, order_id)
# (AMEND, order_id, new_remaining_lots)
Command = tuple

# A bound command: the library's own entry point and its positional arguments.
Bound = tuple[Callable[..., Any], tuple]


@dataclass
class Stream:
    kind: str
    symbol: str
    tick_size: Decimal
    lot_size: Decimal
    commands: list[Command] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        names = {PLACE: "place", CANCEL: "cancel", AMEND: "amend"}
        out = dict.fromkeys(names.values(), 0)
        for c in self.commands:
            out[names[c[0]]] += 1
        return out


def _exact_units(value: str, unit: Decimal) -> int:
    units, rest = divmod(Decimal(value), unit)
    if rest:
        raise ValueError(f"{value} is not a multiple of {unit}")
    return int(units)


def load_stream(kind: str, ops: Iterable[dict]) -> Stream:
    """Parse replay-format commands (dicts) into a Stream of integer tuples."""
    stream: Stream | None = None
    for op in ops:
        name = op["op"]
        if name == "instrument":
            stream = Stream(kind, op["symbol"], Decimal(op["tick_size"]), Decimal(op["lot_size"]))
            continue
        if stream is None or op["symbol"] != stream.symbol:
            raise ValueError(f"command before its instrument or on a second symbol: {op}")
        if name == "place":
            ticks = _exact_units(op["price"], stream.tick_size) if "price" in op else None
            lots = _exact_units(op["qty"], stream.lot_size)
            tif = op.get("tif", "GTC" if op["type"] == "LIMIT" else None)
            stream.commands.append((PLACE, op["id"], op["owner"], op["side"], op["type"], tif, ticks, lots))
        elif name == "cancel":
            stream.commands.append((CANCEL, op["id"]))
        elif name == "amend":
            stream.commands.append((AMEND, op["id"], _exact_units(op["qty"], stream.lot_size)))
        else:
            raise ValueError(f"unsupported command {name!r}")
    if stream is None:
        raise ValueError("stream has no instrument line")
    return stream


def resting_stream(n: int, seed: int, symbol: str = "BTC-USD") -> Stream:
    """N GTC limit orders that never cross (for memory per resting order).

    Bids 1..50 ticks below a mid of 10,000 ticks, asks 1..50 above, 1..100 lots: the passive part
    of the standard limit stream, so levels hold realistic queues.
    """
    import random

    rnd = random.Random(seed)
    stream = Stream("resting", symbol, Decimal("0.01"), Decimal("0.001"))
    for oid in range(1, n + 1):
        side = "BUY" if oid % 2 else "SELL"
        sgn = 1 if side == "BUY" else -1
        ticks = 10_000 - sgn * rnd.randint(1, 50)
        stream.commands.append((PLACE, oid, oid % 50, side, "LIMIT", "GTC", ticks, rnd.randint(1, 100)))
    return stream


class NotInstalled(Exception):
    """The library an adapter drives cannot be imported."""


class BookAdapter:
    """One order book under test.

    `open(stream)` builds a fresh book and returns it with an iterator of bound commands: the
    library's own (fastest public) entry point plus its native arguments. The harness
    materialises the iterator before timing, so conversion is never timed; the memory probe
    consumes it lazily, so transient inputs are not counted as book memory.
    """

    name = ""  # CLI name
    distribution = ""  # PyPI distribution (pinned in requirements-bench.txt); "" for QuantX
    emits_trades = True  # whether a command returns its trades / events
    kinds: tuple[str, ...] = ("limit",)  # streams the book can replay faithfully
    notes = ""  # one line on how it is driven, printed with the results

    def load(self) -> None:
        """Import the library; raise NotInstalled with the reason if it is missing."""
        raise NotImplementedError

    def version(self) -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(self.distribution) if self.distribution else "working tree"
        except PackageNotFoundError:
            return "?"

    def open(self, stream: Stream) -> tuple[Any, Iterator[Bound]]:
        raise NotImplementedError

    def maker_fills(self, result: Any) -> Iterable[int]:
        """Lots of each maker fill in one command's result (one entry per resting order hit)."""
        return ()

    def resting(self, book: Any) -> tuple[int, int, int]:
        """(resting orders, bid lots, ask lots) of the book after a replay."""
        raise NotImplementedError
