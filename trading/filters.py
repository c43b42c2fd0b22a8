"""The checks an order passes before it is sent to the engine, each refusal a coded `ApiError`.

Three pure checks (no database, no engine), run by `trading.services` in this order:

1. `order_shape_check`: the fields the order type needs or forbids (-1102 missing, -1106 sent when
   not required).
2. `instrument_status_check`: the instrument accepts new orders (-2010, reason
   WORKER_INSTRUMENT_HALTED / WORKER_CANCEL_ONLY, the worker's own names for the same refusal).
3. `order_filters_check`: the instrument's filters (-1013 with reason FILTER_TICK_SIZE,
   FILTER_LOT_SIZE, FILTER_MIN_QTY, FILTER_MAX_QTY or FILTER_MIN_NOTIONAL).

The engine re-checks what it relies on (tick, lot, shape) because it trusts no caller; the reason
names are the same either way, so a client sees one vocabulary (docs/api.md "Reasons").
Prices off the tick and quantities off the lot are refused, never rounded (ARCHITECTURE decision 5).
"""

from decimal import Decimal, localcontext

from accounts.money import plain_decimal
from quantx_site.errors import ApiError, ErrorCode
from trading.models import Instrument, InstrumentStatus, OrderType

PRICED_TYPES = frozenset(
    {OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT}
)
STOP_TYPES = frozenset({OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT})
NO_TIF_TYPES = frozenset({OrderType.MARKET, OrderType.LIMIT_MAKER})

# Reasons this module decides (the engine's own reasons are listed in docs/engine-worker.md).
FILTER_TICK_SIZE = "FILTER_TICK_SIZE"
FILTER_LOT_SIZE = "FILTER_LOT_SIZE"
FILTER_MIN_QTY = "FILTER_MIN_QTY"
FILTER_MAX_QTY = "FILTER_MAX_QTY"
FILTER_MIN_NOTIONAL = "FILTER_MIN_NOTIONAL"
WORKER_INSTRUMENT_HALTED = "WORKER_INSTRUMENT_HALTED"
WORKER_CANCEL_ONLY = "WORKER_CANCEL_ONLY"
MATCHING_BAD_AMEND = "MATCHING_BAD_AMEND"
FILTER_TRAILING_DELTA = "FILTER_TRAILING_DELTA"
MAX_TRAILING_DELTA = 2000

_STATUS_REASONS = {
    InstrumentStatus.HALTED: (WORKER_INSTRUMENT_HALTED, "is halted"),
    InstrumentStatus.CANCEL_ONLY: (WORKER_CANCEL_ONLY, "accepts cancels only"),
}


def order_shape_check(
    *,
    type: str,
    qty: Decimal | None,
    quote_qty: Decimal | None,
    price: Decimal | None,
    stop_price: Decimal | None,
    tif: str | None,
    trailing_delta: int | None = None,
) -> None:
    """Refuses a field the order type needs but lacks, or has but must not have.

    LIMIT-like types need `price` and `qty`; stop types also `stop_price` (a trailing STOP_LOSS_LIMIT:
    `trailing_delta` instead, 1 to 2000 basis points, else -1013 FILTER_TRAILING_DELTA); MARKET takes
    exactly one of `qty` / `quote_qty` and no price. `tif` is not accepted for MARKET or LIMIT_MAKER.
    """
    if type in PRICED_TYPES and price is None:
        raise _missing("price", f"{type} orders need a price.")
    if type == OrderType.MARKET and price is not None:
        raise _not_required("price", "MARKET orders take no price.")
    if trailing_delta is not None:
        trailing_delta_check(type=type, stop_price=stop_price, trailing_delta=trailing_delta)
    elif type in STOP_TYPES and stop_price is None:
        raise _missing("stop_price", f"{type} orders need a stop_price.")
    if type not in STOP_TYPES and stop_price is not None:
        raise _not_required("stop_price", f"{type} orders take no stop_price.")
    if type == OrderType.MARKET:
        if qty is None and quote_qty is None:
            raise _missing("qty", "MARKET orders need qty or quote_qty.")
        if qty is not None and quote_qty is not None:
            raise _not_required("quote_qty", "Send qty or quote_qty, not both.")
    else:
        if quote_qty is not None:
            raise _not_required("quote_qty", "quote_qty is only for MARKET orders.")
        if qty is None:
            raise _missing("qty", f"{type} orders need a qty.")
    if tif is not None and type in NO_TIF_TYPES:
        raise _not_required("tif", f"{type} orders take no tif.")


def trailing_delta_check(
    *, type: str, stop_price: Decimal | None, trailing_delta: int, field: str = ""
) -> None:
    """A trailing stop: a STOP_LOSS_LIMIT with `trailing_delta` in 1..2000 basis points and no
    stop_price (its trigger follows the market). `field` prefixes the field names (an OCO leg's)."""
    if type != OrderType.STOP_LOSS_LIMIT:
        raise _not_required(f"{field}trailing_delta", f"{type} orders take no trailing_delta.")
    if stop_price is not None:
        raise _not_required(
            f"{field}stop_price", "A trailing stop takes no stop_price: its trigger follows the market."
        )
    if not 1 <= trailing_delta <= MAX_TRAILING_DELTA:
        raise _filter(
            FILTER_TRAILING_DELTA,
            f"{field}trailing_delta",
            f"trailing_delta {trailing_delta} is not 1 to {MAX_TRAILING_DELTA} basis points",
        )


def instrument_status_check(instrument: Instrument) -> None:
    """Refuses new orders on an instrument that is HALTED or CANCEL_ONLY (-2010)."""
    refusal = _STATUS_REASONS.get(instrument.status)  # type: ignore[call-overload]
    if refusal is not None:
        reason, words = refusal
        raise ApiError(ErrorCode.NEW_ORDER_REJECTED, f"{instrument.symbol} {words}.", reason=reason)


def order_filters_check(
    instrument: Instrument,
    *,
    qty: Decimal | None,
    quote_qty: Decimal | None,
    price: Decimal | None,
    stop_price: Decimal | None,
) -> None:
    """Refuses an order that breaks one of the instrument's filters (-1013, reason FILTER_*).

    Notional is price × qty for orders with a price and quote_qty for a MARKET order by quote; a
    MARKET order by qty has no price to check it with (the engine's risk stage bounds it by funds).
    """
    tick, lot = instrument.tick_size, instrument.lot_size
    if price is not None and not _is_multiple(price, tick):
        raise _filter(
            FILTER_TICK_SIZE,
            "price",
            f"price {plain_decimal(price)} is not a multiple of the tick {plain_decimal(tick)}",
        )
    if stop_price is not None and not _is_multiple(stop_price, tick):
        raise _filter(
            FILTER_TICK_SIZE,
            "stop_price",
            f"stop_price {plain_decimal(stop_price)} is not a multiple of the tick {plain_decimal(tick)}",
        )
    if qty is not None:
        if not _is_multiple(qty, lot):
            raise _filter(
                FILTER_LOT_SIZE,
                "qty",
                f"qty {plain_decimal(qty)} is not a multiple of the lot {plain_decimal(lot)}",
            )
        if qty < instrument.min_qty:
            raise _filter(
                FILTER_MIN_QTY,
                "qty",
                f"qty {plain_decimal(qty)} is below the minimum {plain_decimal(instrument.min_qty)}",
            )
        if qty > instrument.max_qty:
            raise _filter(
                FILTER_MAX_QTY,
                "qty",
                f"qty {plain_decimal(qty)} is above the maximum {plain_decimal(instrument.max_qty)}",
            )
    if quote_qty is not None and not _is_multiple(quote_qty, tick * lot):
        raise _filter(
            FILTER_LOT_SIZE,
            "quote_qty",
            f"quote_qty {plain_decimal(quote_qty)} is not a multiple of {plain_decimal(tick * lot)}",
        )
    notional = quote_qty if quote_qty is not None else _product(price, qty)
    if notional is not None and notional < instrument.min_notional:
        field = "quote_qty" if quote_qty is not None else "qty"
        raise _filter(
            FILTER_MIN_NOTIONAL,
            field,
            f"notional {plain_decimal(notional)} is below the minimum {plain_decimal(instrument.min_notional)}",
        )


def amend_qty_check(instrument: Instrument, *, qty: Decimal, remaining: Decimal) -> None:
    """An amend may only lower the open quantity, to a positive multiple of the lot."""
    if not _is_multiple(qty, instrument.lot_size):
        raise _filter(
            FILTER_LOT_SIZE,
            "qty",
            f"qty {plain_decimal(qty)} is not a multiple of the lot {plain_decimal(instrument.lot_size)}",
        )
    if qty >= remaining:
        raise ApiError(
            ErrorCode.ORDER_AMEND_REJECTED,
            f"qty must be below the open quantity {plain_decimal(remaining)}; an amend can only reduce an order.",
            field="qty",
            reason=MATCHING_BAD_AMEND,
        )


def _is_multiple(value: Decimal, step: Decimal) -> bool:
    with localcontext() as ctx:
        ctx.prec = 60  # exact for any storable amount and step
        return value % step == 0


def _product(price: Decimal | None, qty: Decimal | None) -> Decimal | None:
    if price is None or qty is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        return price * qty


def _filter(reason: str, field: str, detail: str) -> ApiError:
    return ApiError(
        ErrorCode.FILTER_FAILURE, f"Filter failure: {reason}: {detail}.", field=field, reason=reason
    )


def _missing(field: str, msg: str) -> ApiError:
    return ApiError(ErrorCode.MANDATORY_PARAM_MISSING, f"{field}: {msg}", field=field)


def _not_required(field: str, msg: str) -> ApiError:
    return ApiError(ErrorCode.PARAMETER_NOT_REQUIRED, f"{field}: {msg}", field=field)
