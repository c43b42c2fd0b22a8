"""Order books under test in bench/engine_bench.py, one adapter per library (see base.BookAdapter)."""

from .base import AMEND, CANCEL, PLACE, BookAdapter, NotInstalled, Stream, load_stream, resting_stream
from .lme import LightMatchingEngineAdapter
from .lob import LimitOrderBookAdapter
from .pob import PyOrderBookAdapter
from .quantx import QuantXAdapter

ADAPTERS: dict[str, type[BookAdapter]] = {
    a.name: a for a in (QuantXAdapter, LightMatchingEngineAdapter, PyOrderBookAdapter, LimitOrderBookAdapter)
}
COMPETITORS = tuple(name for name in ADAPTERS if name != "quantx")

__all__ = [
    "ADAPTERS",
    "AMEND",
    "CANCEL",
    "COMPETITORS",
    "PLACE",
    "BookAdapter",
    "NotInstalled",
    "Stream",
    "load_stream",
    "resting_stream",
]
