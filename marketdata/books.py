"""Depth on the wire: levels as decimal strings and the checksum a client uses to prove its book.

Checksum (docs/websocket.md): take the top CHECKSUM_LEVELS levels of each side, best first, and
interleave them bid, ask, bid, ask... (a side that runs out is skipped); join every price and
quantity, exactly as the strings on the wire, with ":"; the checksum is the CRC32 of that text
(UTF-8) as an unsigned 32-bit integer. An empty book has checksum 0.
"""

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from engine.core.spec import InstrumentSpec
from marketdata.protocol import CHECKSUM_LEVELS

Level = tuple[str, str]
"""(price, quantity) as plain decimal strings ("50000.5", "0.25")."""


def checksum(bids: Sequence[Level], asks: Sequence[Level]) -> int:
    """CRC32 of the top levels (see the module docstring)."""
    parts: list[str] = []
    for bid, ask in zip_longest(bids[:CHECKSUM_LEVELS], asks[:CHECKSUM_LEVELS]):
        if bid is not None:
            parts += bid
        if ask is not None:
            parts += ask
    return zlib.crc32(":".join(parts).encode()) & 0xFFFFFFFF


def levels_format(spec: InstrumentSpec, levels: Sequence[tuple[int, int]]) -> list[Level]:
    """(ticks, lots) levels as (price, quantity) strings, formatted exactly like every other decimal."""
    return [(spec.format_price(p), spec.format_qty(q)) for p, q in levels]


@dataclass(frozen=True, slots=True)
class DepthSnapshot:
    """A book consistent with market sequence `seq`: levels best first as strings."""

    symbol: str
    seq: int
    bids: list[Level]
    asks: list[Level]

    def limited(self, limit: int) -> "DepthSnapshot":
        return DepthSnapshot(self.symbol, self.seq, self.bids[:limit], self.asks[:limit])

    @property
    def checksum(self) -> int:
        return checksum(self.bids, self.asks)

    def as_wire(self) -> dict[str, Any]:
        return {"bids": [list(lvl) for lvl in self.bids], "asks": [list(lvl) for lvl in self.asks]}
