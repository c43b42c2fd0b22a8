"""A client-side order book built the way docs/websocket.md tells a client to, written from the
docs alone (no server code), so the tests check the protocol and not the server against itself.

- On a `depth` snapshot: replace the book, remember its seq, check its checksum.
- On a `depth` update: ignore it if seq <= mine (already in my snapshot); if its prev_seq is not my
  seq, updates were lost: I have a gap, and must re-snapshot; else apply each level (absolute
  quantity, "0" removes the level), take its seq, and check the checksum of my top 10 levels.
- Trades chain the same way: each trade's prev_seq is the previous trade's seq.
"""

import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import zip_longest
from typing import Any


def book_checksum(bids: list[list[str]], asks: list[list[str]]) -> int:
    """docs/websocket.md: CRC32 of bid1:qty:ask1:qty:bid2:... over the top 10 levels per side."""
    parts: list[str] = []
    for bid, ask in zip_longest(bids[:10], asks[:10]):
        parts += bid or []
        parts += ask or []
    return zlib.crc32(":".join(parts).encode()) & 0xFFFFFFFF


class Gap(Exception):
    pass


@dataclass
class ClientBook:
    seq: int | None = None
    bids: dict[str, str] = field(default_factory=dict)
    asks: dict[str, str] = field(default_factory=dict)
    trade_seq: int | None = None
    trades_seen: set[int] = field(default_factory=set)  # trade seqs received
    trade_snapshots: list[int] = field(default_factory=list)  # seq of each trades snapshot
    checks: int = 0  # checksums verified
    applied: int = 0  # depth updates applied

    def levels(self) -> tuple[list[list[str]], list[list[str]]]:
        bids = sorted(self.bids.items(), key=lambda kv: Decimal(kv[0]), reverse=True)
        asks = sorted(self.asks.items(), key=lambda kv: Decimal(kv[0]))
        return [list(x) for x in bids], [list(x) for x in asks]

    def _check(self, expected: int) -> None:
        bids, asks = self.levels()
        if book_checksum(bids, asks) != expected:
            raise AssertionError(f"checksum mismatch at seq {self.seq}: {bids[:3]} / {asks[:3]}")
        self.checks += 1

    def on_frame(self, frame: dict[str, Any]) -> None:
        """Raises Gap when updates were lost (the caller re-snapshots)."""
        channel, event = frame.get("channel", ""), frame.get("event")
        if channel.startswith("depth:"):
            if event == "snapshot":
                data = frame["data"]
                self.bids = {p: q for p, q in data["bids"]}
                self.asks = {p: q for p, q in data["asks"]}
                self.seq = frame["seq"]
                self._check(data["checksum"])
            elif event == "update" and self.seq is not None:
                if frame["seq"] <= self.seq:
                    return
                if frame["prev_seq"] != self.seq:
                    lost = (self.seq, frame["prev_seq"])
                    self.seq = None
                    raise Gap(f"depth: have {lost[0]}, update follows {lost[1]}")
                for side, book in (("bids", self.bids), ("asks", self.asks)):
                    for price, qty in frame["data"][side]:
                        if Decimal(qty) == 0:
                            book.pop(price, None)
                        else:
                            book[price] = qty
                self.seq = frame["seq"]
                self.applied += 1
                self._check(frame["data"]["checksum"])
        elif channel.startswith("trades:"):
            if event == "snapshot":
                self.trade_seq = frame["seq"]
                self.trade_snapshots.append(frame["seq"])
            elif event == "update" and self.trade_seq is not None:
                for trade in frame["data"]:
                    if trade["seq"] <= self.trade_seq:
                        continue
                    if trade["prev_seq"] != self.trade_seq:
                        lost = (self.trade_seq, trade["prev_seq"])
                        self.trade_seq = None
                        raise Gap(f"trades: have {lost[0]}, trade follows {lost[1]}")
                    self.trades_seen.add(trade["seq"])
                    self.trade_seq = trade["seq"]
