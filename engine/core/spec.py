"""Instrument specification: the only place where decimals meet the engine's integers.

Inside the engine a price is an integer number of ticks and a quantity an integer number of lots.
A quote amount (price x quantity) is then an integer number of ``tick_size * lot_size`` units.
Balances (``risk.py``) are integer atoms of 1e-8 of an asset.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from engine.core.enums import Reason
from engine.core.errors import FilterError

ATOM = Decimal("1e-8")  # balances are integers of this unit, for every asset


def _steps(value: Decimal, step: Decimal, reason: Reason, what: str) -> int:
    """``value / step`` as an int; FilterError if not finite, not positive or not a whole number of steps."""
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise FilterError(reason, f"{what} must be a positive decimal, got {value!r}")
    try:
        n, rest = divmod(value, step)
    except InvalidOperation:  # quotient has more digits than the decimal context holds
        raise FilterError(reason, f"{what} {value} is out of range") from None
    if rest != 0:
        raise FilterError(reason, f"{what} {value} is not a multiple of {step}")
    return int(n)


def _scaled(d: Decimal) -> tuple[int, int]:
    """``d == m * 10**-e`` with integers m and e >= 0."""
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    m = int("".join(map(str, digits))) * (-1 if sign else 1)
    if exp >= 0:
        return m * 10**exp, 0
    return m, -exp


def format_scaled(n: int, e: int) -> str:
    """``n * 10**-e`` as a plain decimal string without trailing zeros (``150, 2 -> "1.5"``)."""
    if e == 0:
        return str(n)
    neg = n < 0
    s = str(-n if neg else n).rjust(e + 1, "0")
    whole, frac = s[:-e], s[-e:].rstrip("0")
    out = f"{whole}.{frac}" if frac else whole
    return "-" + out if neg else out


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    """A tradable symbol: tick and lot sizes, and (for the risk layer) assets and fee rates.

    ``base``/``quote`` and the fee rates are optional so the matching engine and the replay CLI work
    without them; ``risk.Exchange`` requires base and quote, and that a lot and a tick x lot are
    whole numbers of atoms (1e-8).
    """

    symbol: str
    tick_size: Decimal
    lot_size: Decimal
    base: str | None = None
    quote: str | None = None
    maker_fee: Decimal = Decimal(0)
    taker_fee: Decimal = Decimal(0)
    _tick: tuple[int, int] = field(init=False, repr=False, compare=False)
    _lot: tuple[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("tick_size", "lot_size"):
            v = getattr(self, name)
            if not isinstance(v, Decimal) or not v.is_finite() or v <= 0:
                raise ValueError(f"{self.symbol}: {name} must be a positive Decimal, got {v!r}")
        for name in ("maker_fee", "taker_fee"):
            v = getattr(self, name)
            if not isinstance(v, Decimal) or not v.is_finite() or not 0 <= v < 1:
                raise ValueError(f"{self.symbol}: {name} must be a Decimal in [0, 1), got {v!r}")
        if not self.symbol:
            raise ValueError("symbol must not be empty")
        object.__setattr__(self, "_tick", _scaled(self.tick_size))
        object.__setattr__(self, "_lot", _scaled(self.lot_size))

    # --- decimal <-> integer conversions (the edge) ---

    def price_to_ticks(self, price: Decimal) -> int:
        """Price in ticks. FilterError(FILTER_TICK_SIZE) if off the tick or <= 0; never rounds."""
        return _steps(price, self.tick_size, Reason.FILTER_TICK_SIZE, "price")

    def qty_to_lots(self, qty: Decimal) -> int:
        """Quantity in lots. FilterError(FILTER_LOT_SIZE) if off the lot or <= 0; never rounds."""
        return _steps(qty, self.lot_size, Reason.FILTER_LOT_SIZE, "quantity")

    def quote_to_units(self, amount: Decimal) -> int:
        """A quote amount in units of tick_size x lot_size (MARKET ``quote_qty``).

        FilterError(FILTER_LOT_SIZE) if it is not a whole number of units or <= 0.
        """
        return _steps(amount, self.tick_size * self.lot_size, Reason.FILTER_LOT_SIZE, "quote amount")

    def ticks_to_price(self, ticks: int) -> Decimal:
        return self.tick_size * ticks

    def lots_to_qty(self, lots: int) -> Decimal:
        return self.lot_size * lots

    def units_to_quote(self, units: int) -> Decimal:
        return self.tick_size * self.lot_size * units

    # --- fast string formatting for output (replay CLI); same value as str(normalized decimal) ---

    def format_price(self, ticks: int) -> str:
        m, e = self._tick
        return format_scaled(ticks * m, e)

    def format_qty(self, lots: int) -> str:
        m, e = self._lot
        return format_scaled(lots * m, e)

    # --- atoms (risk layer) ---

    def lot_atoms(self) -> int:
        """Atoms of base asset in one lot. ValueError if a lot is not a whole number of atoms."""
        return _whole_atoms(self.lot_size, f"{self.symbol}: lot_size")

    def unit_atoms(self) -> int:
        """Atoms of quote asset in one tick x lot unit. ValueError if not a whole number of atoms."""
        return _whole_atoms(self.tick_size * self.lot_size, f"{self.symbol}: tick_size x lot_size")


def _whole_atoms(amount: Decimal, what: str) -> int:
    n, rest = divmod(amount, ATOM)
    if rest != 0 or n <= 0:
        raise ValueError(f"{what} ({amount}) is not a whole number of atoms (1e-8)")
    return int(n)
