"""pyorderbook 0.4.9: pure Python, heap of price levels, Decimal prices, uuid4 order ids."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .base import CANCEL, PLACE, BookAdapter, Bound, NotInstalled, Stream


class PyOrderBookAdapter(BookAdapter):
    name = "pyorderbook"
    distribution = "pyorderbook"
    notes = (
        "Book.match(Order) -> TradeBlotter and Book.cancel(Order); Order objects (Decimal price, "
        "uuid4 id) are built while pre-parsing; cancel skipped (one dict lookup) when the order is "
        "no longer in book.order_map, because the library logs and raises on an unknown order"
    )

    def load(self) -> None:
        try:
            import pyorderbook
        except ImportError as exc:
            raise NotInstalled(str(exc)) from exc
        self.pob = pyorderbook

    def open(self, stream: Stream) -> tuple[Any, Iterator[Bound]]:
        book = self.pob.Book()
        return book, self._bind(book, stream)

    def _bind(self, book: Any, stream: Stream) -> Iterator[Bound]:
        order_cls = self.pob.Order
        sides = {"BUY": self.pob.Side.BID, "SELL": self.pob.Side.ASK}
        symbol, tick = stream.symbol, stream.tick_size
        match, book_cancel, order_map = book.match, book.cancel, book.order_map

        def cancel(order: Any) -> None:
            if order.id in order_map:
                book_cancel(order)

        orders: dict[int, Any] = {}
        for cmd in stream.commands:
            if cmd[0] == PLACE:
                _, oid, _, side, otype, tif, ticks, lots = cmd
                if otype != "LIMIT" or tif != "GTC":
                    raise ValueError(f"{self.name} replays GTC limit orders only, got {otype}/{tif}")
                order = order_cls(sides[side], symbol, ticks * tick, lots)
                orders[oid] = order
                yield match, (order,)
            elif cmd[0] == CANCEL:
                order = orders.get(cmd[1])
                if order is not None:
                    yield cancel, (order,)
                else:  # never placed: nothing the book could do; keep the command count equal
                    yield _noop, ()
            else:
                raise ValueError(f"{self.name} has no amend")

    def maker_fills(self, result: Any) -> list[int]:
        return [t.fill_quantity for t in result.trades] if result is not None else []

    def resting(self, book: Any) -> tuple[int, int, int]:
        bids = asks = 0
        for order in book.order_map.values():
            if order.side is self.pob.Side.BID:
                bids += order.quantity
            else:
                asks += order.quantity
        return len(book.order_map), bids, asks


def _noop() -> None:
    return None
