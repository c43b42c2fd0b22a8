"""The checks the worker runs on a new order before the core sees it, shared by `place` and
`test_place` (engine.worker.whatif): the user, the symbol and its status, the fields, the
instrument's filters, and the conversion to the core's integers (ticks, lots, units).

One function for both, so a test order is refused exactly as a place would be.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.core import STP, OrderType, Side, TimeInForce
from engine.core.errors import FilterError
from engine.worker.commands import CommandRefused, get_choice, get_decimal, get_int
from engine.worker.records import Market
from engine.worker.state import WorkerState
from trading.models import InstrumentStatus


@dataclass(frozen=True, slots=True)
class PlaceArgs:
    """A new order's fields as decimals (for its row) and as the core's integers (for the core)."""

    market: Market
    side: Side
    order_type: OrderType
    tif: TimeInForce
    stp: STP
    price: Decimal | None
    stop_price: Decimal | None
    qty: Decimal | None
    quote_qty: Decimal | None
    lots: int | None
    ticks: int | None
    stop_ticks: int | None
    units: int | None
    trailing_delta: int | None = None  # a trailing STOP_LOSS_LIMIT (basis points)


def place_args(state: WorkerState, user_id: int, cmd: dict[str, Any]) -> PlaceArgs:
    """The checked fields of a place command; raises CommandRefused with the reason place answers."""
    state.require_user(user_id)
    market = state.market(cmd.get("symbol"))
    market_open(market)
    side = get_choice(cmd, "side", Side)
    order_type = get_choice(cmd, "order_type", OrderType)
    tif = get_choice(cmd, "tif", TimeInForce, default=TimeInForce.GTC)
    stp = get_choice(cmd, "stp", STP, default=STP.NONE)
    price = get_decimal(cmd, "price", required=False)
    stop_price = get_decimal(cmd, "stop_price", required=False)
    qty = get_decimal(cmd, "qty", required=False)
    quote_qty = get_decimal(cmd, "quote_qty", required=False)
    trailing_delta = get_int(cmd, "trailing_delta", required=False)
    check_filters(market, price, qty, quote_qty)
    spec = market.spec
    try:
        lots = None if qty is None else spec.qty_to_lots(qty)
        ticks = None if price is None else spec.price_to_ticks(price)
        stop_ticks = None if stop_price is None else spec.price_to_ticks(stop_price)
        units = None if quote_qty is None else spec.quote_to_units(quote_qty)
    except FilterError as exc:
        raise CommandRefused(exc.reason.value, str(exc)) from None
    return PlaceArgs(market, side, order_type, tif, stp, price, stop_price, qty, quote_qty, lots, ticks,
                     stop_ticks, units, trailing_delta)  # fmt: skip


def market_open(market: Market) -> None:
    """Refuses new orders (and OCO lists) on an instrument that is not TRADING."""
    if market.status != InstrumentStatus.TRADING:
        reason = (
            "WORKER_CANCEL_ONLY"
            if market.status == InstrumentStatus.CANCEL_ONLY
            else "WORKER_INSTRUMENT_HALTED"
        )
        raise CommandRefused(reason, f"{market.symbol} is {market.status}: no new orders")


def check_filters(market: Any, price: Decimal | None, qty: Decimal | None,
                  quote_qty: Decimal | None) -> None:  # fmt: skip
    """Instrument filters beyond tick and lot (which the core checks): quantity range, notional."""
    if qty is not None:
        if qty < market.min_qty:
            raise CommandRefused(
                "FILTER_MIN_QTY", f"Quantity is below the minimum {market.min_qty.normalize():f}."
            )
        if qty > market.max_qty:
            raise CommandRefused(
                "FILTER_MAX_QTY", f"Quantity is above the maximum {market.max_qty.normalize():f}."
            )
    notional = (
        quote_qty
        if quote_qty is not None
        else (price * qty if price is not None and qty is not None else None)
    )
    # A MARKET order by base quantity has no price to value it with; it is not checked here.
    if notional is not None and notional < market.min_notional:
        raise CommandRefused(
            "FILTER_MIN_NOTIONAL", f"Order value is below the minimum {market.min_notional.normalize():f}."
        )
