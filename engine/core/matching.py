"""The taker's pass through the opposite side of a book, and its dry run.

``match`` is the hot path: it trades, removes filled and STP-expired makers, appends the events
(trade, then the maker's order event, per maker touched) and updates the book's sequence and last
price. ``walk`` computes what ``match`` would execute without changing anything (FOK fillability,
risk holds for MARKET orders); the two must agree exactly on every rule:

- price-time priority: best level first, FIFO within it; trades at the maker's price;
- a limit (None for MARKET) stops the pass at the first level beyond it;
- a taker by lots stops when ``lots`` are filled; a taker by quote budget (units of tick x lot) takes
  at each level at most ``(budget - spent) // price`` lots and stops at the first level where that is 0;
- STP, when the maker's owner is the taker's: EXPIRE_TAKER stops the pass before trading;
  EXPIRE_MAKER expires the maker and goes on; EXPIRE_BOTH expires the maker and stops. So for a
  dry run, STP-skipped makers are no liquidity, and EXPIRE_TAKER/BOTH end it at the first own maker.
"""

from typing import Any

from engine.core.book import BookSide, Level, OrderBook
from engine.core.enums import (
    EXPIRE_BOTH,
    EXPIRE_TAKER,
    EXPIRED,
    FILLED,
    PARTIALLY_FILLED,
    STP,
    STP_NONE,
    Reason,
    Side,
)
from engine.core.events import order_event, trade_event

# How a pass ended.
END_LIMIT = 0  # no more liquidity at acceptable prices (book side empty or beyond the limit)
END_DONE = 1  # all lots filled
END_BUDGET = 2  # quote budget cannot buy/sell one more lot at the best price
END_STP = 3  # self-trade prevention ended the taker

_STP_REASON = Reason.MATCHING_STP


def match(
    book: OrderBook,
    index: dict[int, Any],
    events: list[Any],
    taker_id: int,
    owner: int,
    side: Side,
    is_buy: bool,
    limit: int | None,
    lots: int,
    budget: int | None,
    stp: STP,
) -> tuple[int, int, int, int, int]:
    """Run a taker against ``book``; returns (filled lots, spent quote units, END_*, first px, last px).

    ``lots`` caps the lots taken (pass a huge value for a budget-only MARKET order); ``budget`` caps
    the quote units (None: no cap). ``first``/``last`` are 0 when nothing traded. Makers that leave
    the book are removed from ``index`` (order id -> Order).
    """
    opp: BookSide = book.asks if is_buy else book.bids
    symbol = book.symbol
    seq = book.seq
    filled = spent = first = last = 0
    end = END_LIMIT
    stp_on = stp is not STP_NONE
    mside = Side.SELL if is_buy else Side.BUY
    emit = events.append
    if limit is None:
        limit = 1 << 62 if is_buy else 0
    while True:
        if budget is None:
            cap = lots - filled
            if cap == 0:
                end = END_DONE
                break
        lvl: Level | None = opp.best
        if lvl is None:
            break
        px = lvl.price
        if (px > limit) if is_buy else (px < limit):
            break
        if budget is not None:
            cap = (budget - spent) // px
            if lots - filled < cap:
                cap = lots - filled
            if cap == 0:
                end = END_BUDGET if lots > filled else END_DONE
                break
        o = lvl.head
        while o is not None:
            if stp_on and o.owner == owner:
                if stp is EXPIRE_TAKER:
                    end = END_STP
                    break
                # EXPIRE_MAKER / EXPIRE_BOTH: the maker leaves the book, its depth change is seq'd
                nxt = o.next
                lvl.unlink(o)
                lvl.total -= o.remaining
                del index[o.order_id]
                seq += 1
                emit(
                    order_event(
                        o.order_id,
                        o.owner,
                        symbol,
                        mside,
                        px,
                        EXPIRED,
                        o.filled,
                        0,
                        _STP_REASON,
                        seq,
                        o.priority,
                    )
                )
                o = nxt
                if stp is EXPIRE_BOTH:
                    end = END_STP
                    break
                continue
            rem = o.remaining
            q = rem if rem < cap else cap
            seq += 1
            emit(trade_event(symbol, seq, taker_id, o.order_id, owner, o.owner, px, q, side))
            mfilled = o.filled + q
            o.filled = mfilled
            lvl.total -= q
            filled += q
            spent += px * q
            cap -= q
            if not first:
                first = px
            last = px
            if q == rem:
                # the maker is done: pop it off the head of the queue
                nxt = o.next
                lvl.head = nxt
                if nxt is None:
                    lvl.tail = None
                else:
                    nxt.prev = None
                    o.next = None
                lvl.count -= 1
                o.remaining = 0
                del index[o.order_id]
                emit(
                    order_event(
                        o.order_id, o.owner, symbol, mside, px, FILLED, mfilled, 0, None, 0, o.priority
                    )
                )
                o = nxt
            else:
                o.remaining = rem - q
                emit(
                    order_event(
                        o.order_id,
                        o.owner,
                        symbol,
                        mside,
                        px,
                        PARTIALLY_FILLED,
                        mfilled,
                        rem - q,
                        None,
                        0,
                        o.priority,
                    )
                )
            if cap == 0:
                break
        if lvl.count == 0:
            opp.drop_level(lvl)
        if end == END_STP:
            break
    book.seq = seq
    if last:
        book.last_price = last
    return filled, spent, end, first, last


def walk(
    opp: BookSide, is_buy: bool, owner: int, stp: STP, limit: int | None, lots: int, budget: int | None
) -> tuple[int, int]:
    """What ``match`` would execute, without changing anything: (lots filled, quote units spent)."""
    filled = spent = 0
    stp_on = stp is not STP_NONE
    stop_at_own = stp is EXPIRE_TAKER or stp is EXPIRE_BOTH
    for lvl in opp.iter_levels():
        px = lvl.price
        if limit is not None and ((px > limit) if is_buy else (px < limit)):
            break
        cap = lots - filled
        if budget is not None:
            cap = min(cap, (budget - spent) // px)
        if cap <= 0:
            break
        if not stp_on:
            q = min(cap, lvl.total)
            filled += q
            spent += q * px
            if q < lvl.total:
                break
            continue
        o = lvl.head
        while o is not None and cap > 0:
            if o.owner == owner:
                if stop_at_own:
                    return filled, spent
                o = o.next
                continue
            q = min(cap, o.remaining)
            filled += q
            spent += q * px
            cap -= q
            o = o.next
        if o is not None:  # stopped inside this level: cap exhausted
            break
    return filled, spent
