"""The trading page's book ticker: best bid and ask with their sizes and the spread, in the market
header (static/js/trade.js keeps it live from the `book:<SYMBOL>` channel).

Rendered from the depth snapshot the page's order book is drawn from, through the same
`book_top` / `book_wire` as REST `GET /api/v1/markets/{symbol}/book-ticker/` and the channel's
snapshot (marketdata.book_ticker), so the header and the book agree at the `seq` they show.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from marketdata.book_ticker import book_top, book_wire
from marketdata.books import DepthSnapshot


def book_ticker_shown(depth: DepthSnapshot) -> dict[str, Any]:
    """{best_bid, best_bid_qty, best_ask, best_ask_qty} as Decimals (None for an empty side), `seq`,
    and `spread` / `spread_pct` (of the mid price, 2 decimals) when both sides have a level."""
    wire = book_wire(depth.symbol, book_top(depth.bids, depth.asks))
    shown: dict[str, Any] = {
        key: None if wire[key] is None else Decimal(wire[key])
        for key in ("best_bid", "best_bid_qty", "best_ask", "best_ask_qty")
    }
    shown["seq"] = depth.seq
    bid, ask = shown["best_bid"], shown["best_ask"]
    shown["spread"] = shown["spread_pct"] = None
    if bid is not None and ask is not None:
        shown["spread"] = ask - bid
        mid = (ask + bid) / 2
        shown["spread_pct"] = (
            (shown["spread"] * 100 / mid).quantize(Decimal("0.01"), ROUND_HALF_UP) if mid else None
        )
    return shown
