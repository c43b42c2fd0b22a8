"""The filter stage of ``place``: which field combinations each order type accepts."""

from typing import Any

from engine.core.enums import (
    BUY,
    EXPIRE_BOTH,
    EXPIRE_MAKER,
    EXPIRE_TAKER,
    FOK,
    GTC,
    IOC,
    LIMIT,
    LIMIT_MAKER,
    MARKET,
    SELL,
    STOP_LOSS_LIMIT,
    STP,
    STP_NONE,
    TAKE_PROFIT_LIMIT,
    OrderType,
    Reason,
    Side,
    TimeInForce,
)


def check_params(
    side: Side,
    type: OrderType,
    qty: int | None,
    price: int | None,
    stop_price: int | None,
    tif: TimeInForce,
    stp: STP,
    quote_qty: int | None,
    trailing_delta: int | None = None,
) -> Reason | None:
    """The filter stage of ``place``: None if the combination is valid, else the refusal reason.

    ``trailing_delta`` (basis points, 1..MAX_TRAILING_DELTA) only on STOP_LOSS_LIMIT, and then without
    ``stop_price``: the trigger price follows the market instead.
    """
    # identity checks: a plain string equal to a member's value is not accepted (hot paths use ``is``)
    if (side is not BUY and side is not SELL) or (tif is not GTC and tif is not IOC and tif is not FOK):
        return Reason.FILTER_BAD_PARAMS
    if stp is not STP_NONE and stp is not EXPIRE_TAKER and stp is not EXPIRE_MAKER and stp is not EXPIRE_BOTH:
        return Reason.FILTER_BAD_PARAMS
    if trailing_delta is not None and type is not STOP_LOSS_LIMIT:
        return Reason.FILTER_BAD_PARAMS
    if type is MARKET:
        if price is not None or stop_price is not None or tif is FOK or (qty is None) == (quote_qty is None):
            return Reason.FILTER_BAD_PARAMS
        if quote_qty is not None:
            return None if is_int(quote_qty) and quote_qty > 0 else Reason.FILTER_BAD_PARAMS
    elif type is LIMIT or type is LIMIT_MAKER:
        if price is None or stop_price is not None or quote_qty is not None or qty is None:
            return Reason.FILTER_BAD_PARAMS
        if type is LIMIT_MAKER and tif is not GTC:
            return Reason.FILTER_BAD_PARAMS
    elif trailing_delta is not None:
        if price is None or stop_price is not None or quote_qty is not None or qty is None:
            return Reason.FILTER_BAD_PARAMS
        if not is_int(trailing_delta) or not 1 <= trailing_delta <= MAX_TRAILING_DELTA:
            return Reason.FILTER_TRAILING_DELTA
    elif type is STOP_LOSS_LIMIT or type is TAKE_PROFIT_LIMIT:
        if price is None or stop_price is None or quote_qty is not None or qty is None:
            return Reason.FILTER_BAD_PARAMS
        if not is_int(stop_price) or stop_price <= 0:
            return Reason.FILTER_TICK_SIZE
    else:
        return Reason.FILTER_BAD_PARAMS
    if price is not None and (not is_int(price) or price <= 0):
        return Reason.FILTER_TICK_SIZE
    if not is_int(qty) or qty <= 0:  # type: ignore[operator]
        return Reason.FILTER_LOT_SIZE
    return None


MAX_TRAILING_DELTA = 2000  # basis points: a trailing stop follows the market by 0.01 % to 20 %


def is_int(v: Any) -> bool:
    return type(v) is int
