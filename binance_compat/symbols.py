"""Binance symbol names: base + quote with no separator (QuantX `BTC-USD` is `BTCUSD`).

The map is read from the instruments on every call (a handful of rows, one query): an instrument
added in the admin is listed at once. Two instruments whose names would collide (`AB-C` and `A-BC`)
are both left out rather than one of them answering for the other.
"""

from collections import Counter

from quantx_site.errors import ApiError, ErrorCode
from trading.models import Instrument
from trading.selectors import instrument_list


def binance_name(instrument: Instrument) -> str:
    return f"{instrument.base.code}{instrument.quote.code}"


def symbol_map() -> dict[str, Instrument]:
    """Binance name -> instrument, for every unambiguous listed instrument."""
    instruments = list(instrument_list())
    counts = Counter(binance_name(i) for i in instruments)
    return {binance_name(i): i for i in instruments if counts[binance_name(i)] == 1}


def instrument_for(name: str) -> Instrument:
    """The instrument named `name` (Binance form, any case), or 400 -1121."""
    instrument = symbol_map().get(name.upper())
    if instrument is None:
        raise ApiError(ErrorCode.BAD_SYMBOL, "Invalid symbol.", field="symbol")
    return instrument


def quantx_symbol(name: str) -> str:
    return instrument_for(name).symbol


def binance_symbol(quantx: str) -> str:
    """BTC-USD -> BTCUSD (instrument symbols are BASE-QUOTE by construction)."""
    return quantx.replace("-", "")
