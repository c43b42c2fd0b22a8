"""lightmatchingengine 2019.1.4: pure Python, dict of price -> list of orders, its own order ids."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .base import CANCEL, PLACE, BookAdapter, Bound, NotInstalled, Stream


class LightMatchingEngineAdapter(BookAdapter):
    name = "lightmatchingengine"
    distribution = "lightmatchingengine"
    notes = (
        "LightMatchingEngine.add_order(symbol, ticks, lots, side) -> (order, trades) and "
        "cancel_order(its_id, symbol); it numbers orders itself, so our ids are mapped to its ids "
        "while pre-parsing; cancel skipped (one dict lookup) when the order is already filled, "
        "because the library asserts on cancelling a filled order"
    )

    def load(self) -> None:
        try:
            from lightmatchingengine import lightmatchingengine as lme
        except ImportError as exc:
            raise NotInstalled(str(exc)) from exc
        self.lme = lme

    def open(self, stream: Stream) -> tuple[Any, Iterator[Bound]]:
        engine = self.lme.LightMatchingEngine()
        return engine, self._bind(engine, stream)

    def _bind(self, engine: Any, stream: Stream) -> Iterator[Bound]:
        symbol = stream.symbol
        add = engine.add_order
        cancel_order = engine.cancel_order
        sides = {"BUY": self.lme.Side.BUY, "SELL": self.lme.Side.SELL}
        # The engine's order book for the symbol exists once the first order is added; cancels need it.
        books = engine.order_books

        def cancel(their_id: int) -> Any:
            order = books[symbol].order_id_map.get(their_id)
            if order is not None and order.leaves_qty:
                return cancel_order(their_id, symbol)
            return None

        their_ids: dict[int, int] = {}
        for cmd in stream.commands:
            if cmd[0] == PLACE:
                _, oid, _, side, otype, tif, ticks, lots = cmd
                if otype != "LIMIT" or tif != "GTC":
                    raise ValueError(f"{self.name} replays GTC limit orders only, got {otype}/{tif}")
                their_ids[oid] = len(their_ids) + 1  # add_order numbers orders 1, 2, ...
                yield add, (symbol, ticks, lots, sides[side])
            elif cmd[0] == CANCEL:
                yield cancel, (their_ids.get(cmd[1], 0),)
            else:
                raise ValueError(f"{self.name} has no amend")

    def maker_fills(self, result: Any) -> list[int]:
        if type(result) is not tuple:  # a cancel
            return []
        order, trades = result
        # One trade per price level for the taker, then one per maker order hit.
        return [t.trade_qty for t in trades if t.order_id != order.order_id]

    def resting(self, book: Any) -> tuple[int, int, int]:
        orders = bids = asks = 0
        for ob in book.order_books.values():
            for level in ob.bids.values():
                orders += len(level)
                bids += sum(o.leaves_qty for o in level)
            for level in ob.asks.values():
                orders += len(level)
                asks += sum(o.leaves_qty for o in level)
        return orders, bids, asks
