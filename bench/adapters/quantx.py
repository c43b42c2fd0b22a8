"""The QuantX engine core (engine/core), driven through MatchingEngine.place/cancel/amend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .base import AMEND, CANCEL, PLACE, BookAdapter, Bound, NotInstalled, Stream


class QuantXAdapter(BookAdapter):
    name = "quantx"
    kinds = ("limit", "mixed")
    notes = (
        "MatchingEngine.place(id, owner, symbol, side, type, lots, ticks, None, tif) (positional) / "
        "cancel(id, symbol) / amend(id, symbol, lots), each returning its list of events "
        "(trades and order updates)"
    )

    def load(self) -> None:
        try:
            import engine.core as core
        except ImportError as exc:
            raise NotInstalled(f"engine.core is not importable: {exc}") from exc
        if not hasattr(core, "MatchingEngine"):  # the directory exists before the package does
            raise NotInstalled("engine.core has no MatchingEngine yet")
        self.core = core

    def open(self, stream: Stream) -> tuple[Any, Iterator[Bound]]:
        core = self.core
        engine = core.MatchingEngine()
        engine.add_instrument(
            core.InstrumentSpec(symbol=stream.symbol, tick_size=stream.tick_size, lot_size=stream.lot_size)
        )
        return engine, self._bind(engine, stream)

    def _bind(self, engine: Any, stream: Stream) -> Iterator[Bound]:
        core, symbol = self.core, stream.symbol
        place, cancel, amend = engine.place, engine.cancel, engine.amend
        sides = {s.name: s for s in core.Side}
        types = {t.name: t for t in core.OrderType}
        tifs = {t.name: t for t in core.TimeInForce}
        gtc = core.TimeInForce.GTC
        for cmd in stream.commands:
            if cmd[0] == PLACE:
                _, oid, owner, side, otype, tif, ticks, lots = cmd
                yield (
                    place,
                    (
                        oid,
                        owner,
                        symbol,
                        sides[side],
                        types[otype],
                        lots,
                        ticks,
                        None,
                        tifs[tif] if tif else gtc,
                    ),
                )
            elif cmd[0] == CANCEL:
                yield cancel, (cmd[1], symbol)
            elif cmd[0] == AMEND:
                yield amend, (cmd[1], symbol, cmd[2])

    def maker_fills(self, result: Any) -> list[int]:
        trade_cls = self.core.TradeEvent  # one per maker fill
        return [e.qty for e in result if type(e) is trade_cls]

    def resting(self, book: Any) -> tuple[int, int, int]:
        orders = book.open_orders()
        bids = sum(o.remaining for o in orders if o.side is self.core.Side.BUY)
        asks = sum(o.remaining for o in orders if o.side is self.core.Side.SELL)
        return len(orders), bids, asks
