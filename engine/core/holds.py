"""The risk layer's records: an instrument's money facts (``Market``) and an open order's hold.

Shared by ``risk.Exchange`` (commands, settlement) and ``risk_views.ExchangeViews`` (reads, recovery,
invariants).
"""

from dataclasses import dataclass
from decimal import Decimal

from engine.core.spec import InstrumentSpec


def fee_rate(rate: Decimal) -> tuple[int, int]:
    """A fee rate as an exact fraction (numerator, denominator)."""
    n, d = rate.as_integer_ratio()
    return n, d


def fee_atoms(received: int, rate: tuple[int, int]) -> int:
    """The fee on ``received`` atoms at ``rate``, rounded UP to the atom (one trade's fee)."""
    num, den = rate
    return -(-received * num // den) if num else 0


@dataclass(slots=True)
class Market:
    spec: InstrumentSpec
    base: str
    quote: str
    lot_atoms: int
    unit_atoms: int
    maker: tuple[int, int]
    taker: tuple[int, int]


@dataclass(slots=True)
class Hold:
    """What an open order holds: ``atoms`` of ``asset``; ``price`` is a BUY limit's price in ticks.

    One Hold object is shared by both legs of a live OCO list (``legs`` set); ``price`` is then the
    higher leg price for a BUY.
    """

    owner: int
    symbol: str
    asset: str
    atoms: int
    is_buy: bool
    price: int | None
    remaining: int  # lots, as last seen (None-able orders by quote amount use _HUGE)
    legs: dict[int, int] | None = None  # a live OCO list's shared hold: leg id -> its limit price
