"""QuantX engine core: order books, matching, balances/risk, events, replay CLI.

Pure Python (stdlib + sortedcontainers), no Django, no I/O, deterministic. Prices are integer ticks,
quantities integer lots, balances integer atoms (1e-8); ``InstrumentSpec`` converts at the edge.
See docs/engine-core.md.
"""

from engine.core.engine import MatchingEngine
from engine.core.enums import STP, BalanceReason, OrderStatus, OrderType, Reason, Side, TimeInForce
from engine.core.errors import EngineError, FilterError, InvariantError, RestoreError
from engine.core.events import BalanceEvent, Event, OrderEvent, Refused, TradeEvent, TrailEvent, TriggerEvent
from engine.core.risk import Exchange
from engine.core.spec import InstrumentSpec
from engine.core.views import OrderView, UnknownSymbolError

__all__ = [
    "STP",
    "BalanceEvent",
    "BalanceReason",
    "EngineError",
    "Event",
    "Exchange",
    "FilterError",
    "InstrumentSpec",
    "InvariantError",
    "MatchingEngine",
    "OrderEvent",
    "OrderStatus",
    "OrderType",
    "OrderView",
    "Reason",
    "Refused",
    "RestoreError",
    "Side",
    "TimeInForce",
    "TradeEvent",
    "TrailEvent",
    "TriggerEvent",
    "UnknownSymbolError",
]
