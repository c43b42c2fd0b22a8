"""The book ticker: best bid and ask with their sizes, one shape for REST and the `book:` channel.

The engine's publisher sends a `book:<SYMBOL>` update only when the top of the book changed (a
best price or the size resting there), with the symbol's market sequence after the batch; REST
`book-ticker/` and the channel's snapshot read the same depth snapshot as `depth/`, so the book
ticker always equals the first level of each side of a depth read at the same seq.
"""

from collections.abc import Sequence
from typing import Any

from marketdata.books import Level

Top = tuple[Level | None, Level | None]
"""(best bid, best ask), each (price, qty) strings or None for an empty side."""


def book_top(bids: Sequence[Level], asks: Sequence[Level]) -> Top:
    return (tuple(bids[0]) if bids else None, tuple(asks[0]) if asks else None)  # type: ignore[return-value]


def book_wire(symbol: str, top: Top) -> dict[str, Any]:
    bid, ask = top
    return {
        "symbol": symbol,
        "best_bid": bid[0] if bid else None,
        "best_bid_qty": bid[1] if bid else None,
        "best_ask": ask[0] if ask else None,
        "best_ask_qty": ask[1] if ask else None,
    }
