"""Test orders: would this order be accepted, and what would it do? (POST /api/v1/orders/test/)

`order_test` takes exactly what `services.order_place` takes and runs the same checks
(`services.order_checks` here, then the engine's own in its read-only `test_place` op), so a
refusal is the one a place would get: same HTTP status, code, reason and words. The engine holds the
book and the balances, so it also answers the estimate, exactly: fills level by level, the taker fee,
what would rest and the hold. Nothing changes: no order, no order id, no client order id used up,
no balance moved (docs/api.md, "Test an order").
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accounts.models import User
from engine.client.errors import engine_refusal_error, engine_send
from engine.client.protocol import OP_TEST_PLACE
from quantx_site.errors import ApiError, ErrorCode
from trading.models import OrderStatus, SelfTradePrevention
from trading.selectors import order_find_by_client_id
from trading.services import OrderData, order_checks, order_command

UNKNOWN_MSG = "The engine did not answer in time. A test order changes nothing: send it again."


@dataclass(frozen=True)
class OrderEstimate:
    """The engine's ESTIMATE (docs/engine-worker.md, `test_place`): decimal strings as it sent them.
    `duplicate` is set to the original order when the client order id was used before: a place would
    return it and change nothing, so the estimate is of nothing (no fills, no hold)."""

    estimate: Mapping[str, Any]
    duplicate: OrderData | None = None

    def as_output(self) -> dict[str, Any]:
        """The estimate with `duplicate` (bool) and `order` (the original, or None), as the API shows it."""
        return {**self.estimate, "duplicate": self.duplicate is not None, "order": self.duplicate}


def order_test(
    *,
    user: User,
    symbol: str,
    side: str,
    order_type: str,
    qty: Decimal | None = None,
    quote_qty: Decimal | None = None,
    price: Decimal | None = None,
    stop_price: Decimal | None = None,
    tif: str | None = None,
    stp: str = SelfTradePrevention.NONE.value,
    client_order_id: str | None = None,
    trailing_delta: int | None = None,
) -> OrderEstimate:
    """What `order_place` with these arguments would do now, changing nothing.

    Refusals are the ApiErrors `order_place` raises, with the same code, status, reason and message;
    they name `client_order_id` only if one was given (a place names the id it generated), and a
    would-be REJECTED order (MATCHING_WOULD_TAKE, MATCHING_WOULD_TRIGGER_IMMEDIATELY) has no
    `order_id`, since nothing is stored.
    """
    try:
        instrument = order_checks(
            symbol=symbol, order_type=order_type, qty=qty, quote_qty=quote_qty, price=price,
            stop_price=stop_price, tif=tif, trailing_delta=trailing_delta,
        )  # fmt: skip
    except ApiError:
        existing = (
            order_find_by_client_id(user=user, client_order_id=client_order_id) if client_order_id else None
        )
        if existing is None:
            raise
        return _duplicate(existing)
    named = {"client_order_id": client_order_id} if client_order_id else {}
    command = order_command(
        OP_TEST_PLACE, user=user, instrument=instrument, side=side, order_type=order_type, qty=qty,
        quote_qty=quote_qty, price=price, stop_price=stop_price, tif=tif, stp=stp,
        client_order_id=client_order_id, trailing_delta=trailing_delta,
    )  # fmt: skip
    reply = engine_send(command, unknown_msg=UNKNOWN_MSG)
    if not reply.get("ok"):
        raise engine_refusal_error(reply, default=ErrorCode.NEW_ORDER_REJECTED, **named)
    if reply.get("duplicate"):
        return _duplicate(reply["order"])
    estimate = reply["estimate"]
    if estimate["status"] == OrderStatus.REJECTED:
        reason = estimate["reason"]
        raise ApiError(ErrorCode.NEW_ORDER_REJECTED, f"Order rejected: {reason}.", reason=reason, **named)
    return OrderEstimate(estimate=estimate)


def _duplicate(order: OrderData) -> OrderEstimate:
    """A client order id used before: a place returns `order` unchanged and does nothing."""
    get = order.get if isinstance(order, Mapping) else lambda name: getattr(order, name)
    zero = "0"
    estimate = {
        "status": get("status"), "reason": get("reason"), "fills": [], "filled": zero, "quote_filled": zero,
        "avg_price": None, "fee": zero, "fee_asset": "", "fee_rate": zero, "rests": zero, "rest_price": None,
        "hold_asset": "", "hold": zero, "locked_after": zero,
    }  # fmt: skip
    return OrderEstimate(estimate=estimate, duplicate=order)
