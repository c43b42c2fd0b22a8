"""A test order: what ``Exchange.place`` would do with these parameters now, changing nothing.

``place_estimate`` runs the very checks ``place`` runs (``Exchange.place_check``: parameters,
duplicate id, the hold against the owner's free balance) and then replays the taker's pass on
the book without touching it, by the rules of ``matching.match`` (see that module's docstring):
the trades maker by maker (each taker fee is rounded up per trade, as settlement does), how the
pass ends, and so the status the order would have once ``place`` returns, what would rest and what
would stay held. What the order's trades would cause afterwards (stops they trigger, OCO lists
they end) is not part of the estimate: those are other orders.
"""

from dataclasses import dataclass

from engine.core.book import BookSide
from engine.core.enums import (
    BUY,
    EXPIRE_BOTH,
    EXPIRE_TAKER,
    EXPIRED,
    FILLED,
    FOK,
    GTC,
    IOC,
    LIMIT_MAKER,
    MARKET,
    NEW,
    PARTIALLY_FILLED,
    REJECTED,
    STOP_LOSS_LIMIT,
    STP,
    STP_NONE,
    TAKE_PROFIT_LIMIT,
    OrderStatus,
    OrderType,
    Reason,
    Side,
    TimeInForce,
)
from engine.core.holds import Market, fee_atoms
from engine.core.matching import END_BUDGET, END_DONE, END_LIMIT, END_STP, walk
from engine.core.order import Order
from engine.core.risk import Exchange
from engine.core.stops import would_trigger

_HUGE = 1 << 62  # as engine._HUGE: "no lot cap" for a MARKET order by quote amount


@dataclass(frozen=True, slots=True)
class Estimate:
    """What placing the order would do at once. Prices in ticks, quantities in lots, money in atoms.

    ``status``: NEW (rests, or a stop waits), PARTIALLY_FILLED (trades, the rest rests), FILLED,
    EXPIRED (``reason``: MATCHING_NO_LIQUIDITY, MATCHING_FOK_NOT_FILLABLE, MATCHING_STP) or REJECTED
    (``reason``: MATCHING_WOULD_TAKE, MATCHING_WOULD_TRIGGER_IMMEDIATELY; ``place`` stores those).
    ``levels``: the fills per price level, best first, (price, lots). ``fee`` is the taker fee in
    ``fee_asset`` (what the taker receives). ``rests`` lots would rest (or wait, for a stop) at
    ``rest_price``. ``hold`` atoms of ``hold_asset`` are taken from free at placement (what the
    funds check compares with the free balance); ``locked_after`` of them stay locked afterwards.
    """

    status: OrderStatus
    reason: Reason | None
    levels: tuple[tuple[int, int], ...]
    filled: int
    spent: int  # quote units (tick x lot) of the fills
    fee: int
    fee_asset: str
    rests: int
    rest_price: int | None
    hold_asset: str
    hold: int
    locked_after: int


def place_estimate(
    ex: Exchange,
    order_id: int,
    owner: int,
    symbol: str,
    side: Side,
    type: OrderType,
    qty: int | None,
    price: int | None = None,
    stop_price: int | None = None,
    tif: TimeInForce = GTC,
    stp: STP = STP_NONE,
    quote_qty: int | None = None,
    trailing_delta: int | None = None,
) -> Reason | Estimate:
    """The reason ``ex.place`` would refuse these arguments with, or what it would do. Changes nothing.

    ``order_id`` should be one ``place`` has never seen (else MATCHING_DUPLICATE_ID, as ``place``).
    """
    admitted = ex.place_check(
        order_id, owner, symbol, side, type, qty, price, stop_price, tif, stp, quote_qty, trailing_delta
    )
    if not isinstance(admitted, tuple):
        return admitted
    asset, hold = admitted
    m = ex.market(symbol)
    book = ex.matching._book(symbol)
    is_buy = side is BUY
    fee_asset = m.base if is_buy else m.quote

    def ends(status: OrderStatus, reason: Reason | None = None, rests: int = 0) -> Estimate:
        """An order that trades nothing; a resting one keeps its whole hold."""
        return Estimate(status, reason, (), 0, 0, 0, fee_asset, rests, price if rests else None, asset, hold,
                        hold if rests else 0)  # fmt: skip

    if type is STOP_LOSS_LIMIT or type is TAKE_PROFIT_LIMIT:
        assert qty is not None and price is not None
        o = Order(order_id, owner, symbol, side, type, price, stop_price, qty, 0, qty, tif, stp, 0,
                  trail=trailing_delta or 0, peak=book.last_price if trailing_delta else None)  # fmt: skip
        if would_trigger(o, book.last_price):
            return ends(REJECTED, Reason.MATCHING_WOULD_TRIGGER_IMMEDIATELY)
        return ends(NEW, rests=qty)
    opp = book.asks if is_buy else book.bids
    if type is LIMIT_MAKER:
        assert qty is not None and price is not None
        best = opp.best
        if best is not None and (price >= best.price if is_buy else price <= best.price):
            return ends(REJECTED, Reason.MATCHING_WOULD_TAKE)
        return ends(NEW, rests=qty)
    lots = (_HUGE if qty is None else qty) if type is MARKET else qty
    assert lots is not None
    if type is MARKET:
        tif = IOC
    if tif is FOK and walk(opp, is_buy, owner, stp, price, lots, None)[0] < lots:
        return ends(EXPIRED, Reason.MATCHING_FOK_NOT_FILLABLE)
    trades, end = taker_trades(opp, is_buy, owner, stp, price, lots, quote_qty)
    filled = sum(q for _, q in trades)
    spent = sum(px * q for px, q in trades)
    fee = sum(fee_atoms(_received(m, is_buy, px, q), m.taker) for px, q in trades)
    rests, reason = 0, None
    if end == END_DONE or (end == END_BUDGET and filled):
        status = FILLED
    elif tif is GTC and end != END_STP and price is not None:
        rests = lots - filled
        status = PARTIALLY_FILLED if filled else NEW
    else:
        status, reason = EXPIRED, Reason.MATCHING_STP if end == END_STP else Reason.MATCHING_NO_LIQUIDITY
    if rests:
        assert price is not None
        locked_after = price * rests * m.unit_atoms if is_buy else rests * m.lot_atoms
    else:
        locked_after = 0
    return Estimate(status, reason, _by_level(trades), filled, spent, fee, fee_asset, rests,
                    price if rests else None, asset, hold, locked_after)  # fmt: skip


def _received(m: Market, is_buy: bool, px: int, q: int) -> int:
    """Atoms the taker receives from one trade: base for a buyer, quote for a seller."""
    return q * m.lot_atoms if is_buy else px * q * m.unit_atoms


def _by_level(trades: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    levels: list[tuple[int, int]] = []
    for px, q in trades:
        if levels and levels[-1][0] == px:
            levels[-1] = (px, levels[-1][1] + q)
        else:
            levels.append((px, q))
    return tuple(levels)


def taker_trades(
    opp: BookSide, is_buy: bool, owner: int, stp: STP, limit: int | None, lots: int, budget: int | None
) -> tuple[list[tuple[int, int]], int]:
    """The trades ``matching.match`` would make, maker by maker as (price, lots), and how it would end
    (END_*); reads the book and changes nothing. The loop is ``match``'s, step for step: a maker
    STP expires is skipped (it would leave the book), a partly taken maker is remembered by the lots
    taken from it."""
    trades: list[tuple[int, int]] = []
    filled = spent = 0
    end = END_LIMIT
    stp_on = stp is not STP_NONE
    if limit is None:
        limit = _HUGE if is_buy else 0
    levels = opp.iter_levels()
    lvl = next(levels, None)
    o = lvl.head if lvl is not None else None  # the next maker match would look at
    taken = 0  # lots already taken from ``o``
    cap = 0
    while True:
        if budget is None:
            cap = lots - filled
            if cap == 0:
                end = END_DONE
                break
        while lvl is not None and o is None:  # match drops an emptied level
            lvl = next(levels, None)
            o = lvl.head if lvl is not None else None
            taken = 0
        if lvl is None:
            break
        px = lvl.price
        if (px > limit) if is_buy else (px < limit):
            break
        if budget is not None:
            cap = min((budget - spent) // px, lots - filled)
            if cap == 0:
                end = END_BUDGET if lots > filled else END_DONE
                break
        while o is not None:
            if stp_on and o.owner == owner:
                if stp is EXPIRE_TAKER:
                    end = END_STP
                    break
                o, taken = o.next, 0
                if stp is EXPIRE_BOTH:
                    end = END_STP
                    break
                continue
            rem = o.remaining - taken
            q = rem if rem < cap else cap
            trades.append((px, q))
            filled += q
            spent += px * q
            cap -= q
            if q == rem:
                o, taken = o.next, 0
            else:
                taken += q
            if cap == 0:
                break
        if end == END_STP:
            break
    return trades, end
