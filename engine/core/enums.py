"""Names shared by the engine core and its callers.

All enums are ``StrEnum``: a member equals its name as a plain string (``Side.BUY == "BUY"``), so
callers can put them on the wire as they are. Hot paths compare members with ``is`` through the
module-level aliases below (an ``Enum`` attribute lookup costs more than a global load).
"""

from enum import StrEnum


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"
    LIMIT_MAKER = "LIMIT_MAKER"
    STOP_LOSS_LIMIT = "STOP_LOSS_LIMIT"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class STP(StrEnum):
    """Self-trade prevention mode, chosen by the taker."""

    NONE = "NONE"
    EXPIRE_TAKER = "EXPIRE_TAKER"
    EXPIRE_MAKER = "EXPIRE_MAKER"
    EXPIRE_BOTH = "EXPIRE_BOTH"


class OrderStatus(StrEnum):
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTED"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED})


class Reason(StrEnum):
    """Why a command was refused or an order ended the way it did, prefixed by the stage that decided.

    ``reason.code`` is the name without its stage (``WOULD_TAKE``), as the replay CLI prints it.
    """

    FILTER_TICK_SIZE = "FILTER_TICK_SIZE"  # price/stop price off the tick, or <= 0
    FILTER_LOT_SIZE = "FILTER_LOT_SIZE"  # quantity off the lot, or <= 0
    FILTER_BAD_PARAMS = (
        "FILTER_BAD_PARAMS"  # fields missing/extra for the order type, bad tif, quote_qty <= 0
    )
    FILTER_TRAILING_DELTA = "FILTER_TRAILING_DELTA"  # trailing_delta not an int in 1..2000 (basis points)
    FILTER_OCO_PRICES = "FILTER_OCO_PRICES"  # OCO legs on the wrong sides of each other
    MATCHING_UNKNOWN_SYMBOL = "MATCHING_UNKNOWN_SYMBOL"
    MATCHING_UNKNOWN_ORDER = "MATCHING_UNKNOWN_ORDER"
    MATCHING_DUPLICATE_ID = "MATCHING_DUPLICATE_ID"
    MATCHING_WOULD_TAKE = "MATCHING_WOULD_TAKE"  # LIMIT_MAKER that would cross: REJECTED
    MATCHING_WOULD_TRIGGER_IMMEDIATELY = "MATCHING_WOULD_TRIGGER_IMMEDIATELY"  # stop: REJECTED
    MATCHING_FOK_NOT_FILLABLE = "MATCHING_FOK_NOT_FILLABLE"  # FOK: EXPIRED, nothing traded
    MATCHING_BAD_AMEND = "MATCHING_BAD_AMEND"  # new remaining not in 0 < new < remaining
    MATCHING_NO_LIQUIDITY = "MATCHING_NO_LIQUIDITY"  # IOC/MARKET remainder: EXPIRED
    MATCHING_STP = "MATCHING_STP"  # ended by self-trade prevention: EXPIRED
    MATCHING_OCO_OTHER_LEG = "MATCHING_OCO_OTHER_LEG"  # OCO leg ended because the other leg filled,
    # triggered, ended or was canceled: EXPIRED (CANCELED when the list was canceled; REJECTED with it)
    RISK_INSUFFICIENT_FUNDS = "RISK_INSUFFICIENT_FUNDS"
    RISK_BAD_AMOUNT = "RISK_BAD_AMOUNT"  # deposit/withdraw amount <= 0, adjustment of 0
    RISK_UNKNOWN_ASSET = "RISK_UNKNOWN_ASSET"  # instrument without base/quote assets on an Exchange
    RISK_UNKNOWN_WITHDRAWAL = "RISK_UNKNOWN_WITHDRAWAL"  # no pending withdrawal with that id
    RISK_DUPLICATE_WITHDRAWAL = "RISK_DUPLICATE_WITHDRAWAL"  # a withdrawal id already holding funds
    RISK_BAD_FEE = "RISK_BAD_FEE"  # a withdrawal fee < 0 or not below the amount

    @property
    def stage(self) -> str:
        return self.value.split("_", 1)[0]

    @property
    def code(self) -> str:
        return self.value.split("_", 1)[1]


class BalanceReason(StrEnum):
    """Why a balance changed; one ledger entry per BalanceEvent."""

    DEPOSIT = "DEPOSIT"
    WITHDRAWAL = "WITHDRAWAL"
    ORDER_HOLD = "ORDER_HOLD"
    ORDER_RELEASE = "ORDER_RELEASE"
    TRADE = "TRADE"
    FEE = "FEE"
    ADJUSTMENT = "ADJUSTMENT"
    WITHDRAWAL_HOLD = "WITHDRAWAL_HOLD"
    WITHDRAWAL_RELEASE = "WITHDRAWAL_RELEASE"


# Aliases for hot paths (global load instead of an Enum attribute lookup).
BUY = Side.BUY
SELL = Side.SELL
LIMIT = OrderType.LIMIT
MARKET = OrderType.MARKET
LIMIT_MAKER = OrderType.LIMIT_MAKER
STOP_LOSS_LIMIT = OrderType.STOP_LOSS_LIMIT
TAKE_PROFIT_LIMIT = OrderType.TAKE_PROFIT_LIMIT
GTC = TimeInForce.GTC
IOC = TimeInForce.IOC
FOK = TimeInForce.FOK
STP_NONE = STP.NONE
EXPIRE_TAKER = STP.EXPIRE_TAKER
EXPIRE_MAKER = STP.EXPIRE_MAKER
EXPIRE_BOTH = STP.EXPIRE_BOTH
NEW = OrderStatus.NEW
PARTIALLY_FILLED = OrderStatus.PARTIALLY_FILLED
FILLED = OrderStatus.FILLED
CANCELED = OrderStatus.CANCELED
EXPIRED = OrderStatus.EXPIRED
REJECTED = OrderStatus.REJECTED
