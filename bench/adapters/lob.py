"""limit-order-book 2.0.0: a C++ book (-O3) called through its own ctypes binding; emits no trades."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .base import CANCEL, PLACE, BookAdapter, Bound, NotInstalled, Stream


class LimitOrderBookAdapter(BookAdapter):
    name = "limit-order-book"
    distribution = "limit-order-book"
    emits_trades = False
    notes = (
        "the package's ctypes functions limit_buy/limit_sell(book, id, lots, ticks) and "
        "cancel(book, id) called directly (skipping the LimitOrderBook Python wrapper methods, "
        "which only add a frame); cancel guarded by has(book, id) because cancelling an unknown "
        "id throws std::out_of_range through C and aborts the process; returns nothing, so no "
        "trade events"
    )

    def load(self) -> None:
        try:
            from limit_order_book import LimitOrderBook
            from limit_order_book.library import Library
        except (ImportError, OSError) as exc:
            raise NotInstalled(str(exc)) from exc
        self.book_cls, self.c = LimitOrderBook, Library.functions

    def open(self, stream: Stream) -> tuple[Any, Iterator[Bound]]:
        book = self.book_cls()  # owns the C++ object; keep it alive while commands run
        return book, self._bind(book._book, stream)

    def _bind(self, ptr: int, stream: Stream) -> Iterator[Bound]:
        c = self.c
        limit = {"BUY": c.limit_buy, "SELL": c.limit_sell}
        has, c_cancel = c.has, c.cancel

        def cancel(book_ptr: int, order_id: int) -> None:
            if has(book_ptr, order_id):
                c_cancel(book_ptr, order_id)

        for cmd in stream.commands:
            if cmd[0] == PLACE:
                _, oid, _, side, otype, tif, ticks, lots = cmd
                if otype != "LIMIT" or tif != "GTC":
                    raise ValueError(f"{self.name} replays GTC limit orders only, got {otype}/{tif}")
                yield limit[side], (ptr, oid, lots, ticks)
            elif cmd[0] == CANCEL:
                yield cancel, (ptr, cmd[1])
            else:
                raise ValueError(f"{self.name} has no amend")

    def resting(self, book: Any) -> tuple[int, int, int]:
        return book.count(), book.volume_buy(), book.volume_sell()
