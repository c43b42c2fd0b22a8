"""Writes of trading data: validate, send ONE command to the engine, turn its reply into a result
or a coded `ApiError`.

The engine worker is the single writer (ARCHITECTURE decision 1): nothing here writes to the
database. A reply means committed (decision 2), so a result can be returned as the engine sent it.
Commands go through the one seam, `engine.client.errors.engine_send`, which also maps refusals to
coded errors (`engine_refusal_error`).
"""

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accounts.models import User
from accounts.money import plain_decimal
from engine.client.errors import engine_refusal_error, engine_send
from engine.client.protocol import OP_AMEND, OP_CANCEL, OP_CANCEL_ALL, OP_PLACE, Reply
from quantx_site.errors import ApiError, ErrorCode
from trading.filters import (
    FILTER_LOT_SIZE,
    MATCHING_BAD_AMEND,
    amend_qty_check,
    instrument_status_check,
    order_filters_check,
    order_shape_check,
)
from trading.models import (
    OPEN_STATUSES,
    Instrument,
    Order,
    OrderStatus,
    SelfTradePrevention,
    TimeInForce,
)
from trading.selectors import (
    instrument_get,
    order_find_by_client_id,
    order_get,
    order_id_check,
)

log = logging.getLogger("quantx.trading")

ORDER_CLOSED = "MATCHING_ORDER_CLOSED"
"""Reason of a cancel or amend of an order that is no longer open: the engine answers
MATCHING_UNKNOWN_ORDER and the database shows the order is yours, closed."""

OrderData = Order | Mapping[str, Any]
"""An order as an `Order` row (annotated with `symbol`) or the engine's ORDER dict: both have the
same field names and serialize alike (trading.serializers.OrderOutputSerializer)."""

# ------------------------------------------------------------------------------------- orders


@dataclass(frozen=True)
class PlacedOrder:
    order: OrderData
    duplicate: bool
    """True when the client order id was used before: `order` is the original, nothing changed."""


def order_place(
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
) -> PlacedOrder:
    """Places an order through the engine; returns it with the fills it made.

    A client order id the user has used before returns the original order (duplicate=True),
    whatever the rest of the request says. The engine answers that (it dedupes, also for concurrent
    retries); only when a check here refuses the request is the id looked up in the database, so a
    retry of an order whose instrument has since been halted still gets the original. Otherwise the
    order is checked (shape, instrument status, filters: trading.filters) before it is sent. An id
    generated here is new by construction, and the command says so (`client_order_id_generated`:
    the engine need not look it up). An order the engine stored as REJECTED raises 400 -2010 with its
    reason and order_id. Database queries in the common case: none (instruments come from a cache).
    """
    generated = not client_order_id
    client_order_id = client_order_id or uuid.uuid4().hex
    try:
        instrument = order_checks(
            symbol=symbol, order_type=order_type, qty=qty, quote_qty=quote_qty, price=price,
            stop_price=stop_price, tif=tif, trailing_delta=trailing_delta,
        )  # fmt: skip
    except ApiError:
        existing = None if generated else order_find_by_client_id(user=user, client_order_id=client_order_id)
        if existing is None:
            raise
        return PlacedOrder(order=existing, duplicate=True)
    command = order_command(
        OP_PLACE, user=user, instrument=instrument, side=side, order_type=order_type, qty=qty,
        quote_qty=quote_qty, price=price, stop_price=stop_price, tif=tif, stp=stp,
        client_order_id=client_order_id, trailing_delta=trailing_delta,
    )  # fmt: skip
    command["client_order_id_generated"] = generated
    reply = engine_send(
        command,
        unknown_msg="Order status unknown: the engine did not answer in time. Look the order up by "
        "client_order_id before sending it again (with the same client_order_id).",
        client_order_id=client_order_id,
    )
    if not reply.get("ok"):
        raise engine_refusal_error(
            reply, default=ErrorCode.NEW_ORDER_REJECTED, client_order_id=client_order_id
        )
    order = reply["order"]
    duplicate = bool(reply.get("duplicate"))
    if order["status"] == OrderStatus.REJECTED and not duplicate:
        raise ApiError(
            ErrorCode.NEW_ORDER_REJECTED,
            f"Order rejected: {order['reason']}.",
            reason=order["reason"],
            order_id=order["id"],
            client_order_id=client_order_id,
        )
    return PlacedOrder(order=order, duplicate=duplicate)


def order_command(
    op: str, *, user: User, instrument: Instrument, side: str, order_type: str, qty: Decimal | None,
    quote_qty: Decimal | None, price: Decimal | None, stop_price: Decimal | None, tif: str | None,
    stp: str, client_order_id: str | None, trailing_delta: int | None,
) -> dict[str, Any]:  # fmt: skip
    """The engine command of a new order (`place`, or `test_place`: trading.whatif)."""
    command: dict[str, Any] = {
        "op": op,
        "user_id": user.pk,
        "symbol": instrument.symbol,
        "side": side,
        "order_type": order_type,
        "qty": plain_decimal(qty),
        "quote_qty": plain_decimal(quote_qty),
        "price": plain_decimal(price),
        "stop_price": plain_decimal(stop_price),
        "tif": tif or TimeInForce.GTC.value,  # MARKET: the engine reads GTC as "not given"
        "stp": stp,
        "client_order_id": client_order_id,
    }
    if trailing_delta is not None:
        command["trailing_delta"] = trailing_delta
    return command


def order_checks(
    *, symbol: str, order_type: str, qty: Decimal | None, quote_qty: Decimal | None,
    price: Decimal | None, stop_price: Decimal | None, tif: str | None, trailing_delta: int | None = None,
) -> Instrument:  # fmt: skip
    """The checks a new order passes before it is sent (trading.filters: the symbol, the fields the
    type needs or forbids, the instrument's status, its filters), in that order; the first failure
    raises its ApiError. Shared by placing and testing an order (trading.whatif)."""
    instrument = instrument_get(symbol=symbol)
    order_shape_check(
        type=order_type,
        qty=qty,
        quote_qty=quote_qty,
        price=price,
        stop_price=stop_price,
        tif=tif,
        trailing_delta=trailing_delta,
    )
    instrument_status_check(instrument)
    order_filters_check(instrument, qty=qty, quote_qty=quote_qty, price=price, stop_price=stop_price)
    return instrument


def order_cancel(*, user: User, order_id: int) -> OrderData:
    """Cancels one of the user's open orders; returns it (CANCELED).

    Not the user's, or no such order: 404 -2013. No longer open: 400 -2011, reason MATCHING_ORDER_CLOSED.
    The engine knows every open order's owner, so nothing is read first: the database is read only
    when the engine refuses, to word the refusal (see `_order_refusal`).
    """
    order_id_check(order_id)
    reply = engine_send(
        {"op": OP_CANCEL, "user_id": user.pk, "order_id": order_id},
        unknown_msg="Cancel status unknown: the engine did not answer in time. Look the order up.",
        order_id=order_id,
    )
    if not reply.get("ok"):
        raise _order_refusal(reply, user=user, order_id=order_id, code=ErrorCode.CANCEL_REJECTED)
    return reply["order"]  # type: ignore[no-any-return]


def order_cancel_all(*, user: User, symbol: str, side: str | None = None) -> list[OrderData]:
    """Cancels the user's open orders on one symbol (one side, if given); returns them (CANCELED)."""
    instrument = instrument_get(symbol=symbol)
    reply = engine_send(
        {"op": OP_CANCEL_ALL, "user_id": user.pk, "symbol": instrument.symbol, "side": side},
        unknown_msg="Cancel status unknown: the engine did not answer in time. List your open orders.",
    )
    if not reply.get("ok"):
        raise engine_refusal_error(reply, default=ErrorCode.CANCEL_REJECTED)
    return list(reply["orders"])


def order_amend(*, user: User, order_id: int, qty: Decimal) -> OrderData:
    """Lowers the open quantity (`remaining`) of one of the user's open orders, keeping its priority.

    Not the user's: 404 -2013. No longer open: 400 -2038, reason MATCHING_ORDER_CLOSED. `qty` off the lot:
    -1013 FILTER_LOT_SIZE; not below the open quantity: -2038 MATCHING_BAD_AMEND. The engine decides
    all of these (it holds the open order); the database is read only to word a refusal.
    """
    order_id_check(order_id)
    reply = engine_send(
        {"op": OP_AMEND, "user_id": user.pk, "order_id": order_id, "qty": plain_decimal(qty)},
        unknown_msg="Amend status unknown: the engine did not answer in time. Look the order up.",
        order_id=order_id,
    )
    if not reply.get("ok"):
        raise _order_refusal(
            reply, user=user, order_id=order_id, code=ErrorCode.ORDER_AMEND_REJECTED, qty=qty
        )
    return reply["order"]  # type: ignore[no-any-return]


def _order_refusal(
    reply: Reply, *, user: User, order_id: int, code: ErrorCode, qty: Decimal | None = None
) -> ApiError:
    """The error for a cancel or amend the engine refused, worded from the order's row (a rare path).

    MATCHING_UNKNOWN_ORDER: the engine has no open order of this user with this id. Not the user's
    or none: 404 -2013; the user's but closed: `code`, MATCHING_ORDER_CLOSED. An amend's
    FILTER_LOT_SIZE / MATCHING_BAD_AMEND: the same words as `amend_qty_check` gives from the row.
    """
    reason = reply.get("reason")
    if reason == "MATCHING_UNKNOWN_ORDER":
        order = order_get(user=user, order_id=order_id)  # 404 -2013 if it is not the user's
        status_name = order.status if order.status not in OPEN_STATUSES else "closed"
        return _closed(order, code=code, status_name=status_name)
    if qty is not None and reason in (FILTER_LOT_SIZE, MATCHING_BAD_AMEND):
        order = order_get(user=user, order_id=order_id)
        try:
            amend_qty_check(instrument_get(symbol=order.symbol), qty=qty, remaining=order.remaining)
        except ApiError as exc:
            return exc
    return engine_refusal_error(reply, default=code, order_id=order_id)


def _closed(order: Order, *, code: ErrorCode, status_name: str) -> ApiError:
    msg = f"Order {order.id} is {status_name}; it can no longer change."
    return ApiError(code, msg, reason=ORDER_CLOSED, order_id=order.id)
