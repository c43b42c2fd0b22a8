"""Spot positions from fills: net base quantity, average entry price, realized PnL (pure functions).

A buy adds to the position and a sell takes from it. Adding in the direction of the position moves
the average entry price to the quantity-weighted mean; reducing realizes (price - avg) x closed
quantity (sign-adjusted for a short); crossing through zero opens the rest at the fill price.
Fees are not part of the PnL here (they are in the ledger). Prices and PnL are rounded half-even
to 8 decimals, the ledger's precision; quantities are exact.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

_Q = Decimal("0.00000001")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PositionState:
    qty: Decimal = ZERO
    avg_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO


def position_apply_fill(pos: PositionState, *, signed_qty: Decimal, price: Decimal) -> PositionState:
    """The position after a fill of `signed_qty` (> 0 bought, < 0 sold) at `price`."""
    q, d = pos.qty, signed_qty
    if d == 0:
        return pos
    if q == 0 or (q > 0) == (d > 0):
        total = q + d
        avg = ((abs(q) * pos.avg_price + abs(d) * price) / abs(total)).quantize(_Q, ROUND_HALF_EVEN)
        return PositionState(total, avg, pos.realized_pnl)
    closed = min(abs(d), abs(q))
    direction = 1 if q > 0 else -1
    realized = pos.realized_pnl + (closed * (price - pos.avg_price) * direction).quantize(_Q, ROUND_HALF_EVEN)
    total = q + d
    if total == 0:
        return PositionState(ZERO, ZERO, realized)
    if (total > 0) == (q > 0):
        return PositionState(total, pos.avg_price, realized)
    return PositionState(total, price, realized)  # crossed through zero: the rest opens at this price
