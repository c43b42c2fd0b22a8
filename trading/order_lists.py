"""OCO order lists: the service that places and cancels them, and the selectors that read them.

A list is Binance's current OCO in our API's words: two legs on one symbol, side and quantity, an
`above` leg and a `below` leg. For a SELL the above leg is the LIMIT_MAKER (take profit) and the
below leg the STOP_LOSS_LIMIT (stop loss); for a BUY the mirror. The engine places both in one
step with one hold (engine.worker.oco); when either leg fills (even partly) or triggers, the other
ends in that step (EXPIRED, MATCHING_OCO_OTHER_LEG); cancelling a leg or the list cancels both.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Prefetch, QuerySet
from rest_framework import status

from accounts.models import User
from accounts.money import plain_decimal
from engine.client.errors import engine_refusal_error, engine_send
from engine.client.protocol import OP_CANCEL_LIST, OP_PLACE_OCO
from quantx_site.errors import ApiError, ErrorCode
from quantx_site.time_range import time_range_filter
from trading.filters import instrument_status_check, order_filters_check, trailing_delta_check
from trading.models import Order, OrderList, OrderListStatus, OrderType, Side
from trading.selectors import MAX_ID, instrument_get

FILTER_OCO_PRICES = "FILTER_OCO_PRICES"
LIST_CLOSED = "MATCHING_ORDER_LIST_CLOSED"
"""Reason of a cancel of a list that has ended (ALL_DONE or REJECTED)."""


@dataclass(frozen=True)
class OcoLeg:
    """One leg as the client sent it (`above_*` or `below_*` fields)."""

    type: str
    price: Decimal | None
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    tif: str | None = None
    client_order_id: str | None = None


@dataclass(frozen=True)
class PlacedList:
    order_list: dict[str, Any] | OrderList
    duplicate: bool


# ------------------------------------------------------------------------------------- services


def order_list_place(
    *,
    user: User,
    symbol: str,
    side: str,
    qty: Decimal,
    above: OcoLeg,
    below: OcoLeg,
    stp: str = "NONE",
    client_list_id: str | None = None,
) -> PlacedList:
    """Places an OCO list through the engine; returns it with its legs (and their fills).

    A `client_list_id` used before returns the original list (duplicate=True). Checked here first:
    the legs' types for the side (-1100), each leg's fields (-1102 / -1106), trailing_delta
    (-1013 FILTER_TRAILING_DELTA), the instrument's status (-2010) and filters (-1013), and for a
    fixed stop the prices' order (-1013 FILTER_OCO_PRICES: for a SELL the limit above the stop
    price, for a BUY below). A list the engine rejected (a LIMIT_MAKER that would take, a stop that
    would trigger at once) is stored REJECTED and answered 400 -2010 with its reason and id.
    """
    generated = not client_list_id
    client_list_id = client_list_id or uuid.uuid4().hex
    try:
        limit, stop = _legs_check(side=side, above=above, below=below)
        instrument = instrument_get(symbol=symbol)
        instrument_status_check(instrument)
        for prefix, leg in (("above_", above), ("below_", below)):
            try:
                order_filters_check(
                    instrument, qty=qty, quote_qty=None, price=leg.price, stop_price=leg.stop_price
                )
            except ApiError as exc:
                if exc.extra.get("field") in ("price", "stop_price"):
                    exc.extra["field"] = prefix + exc.extra["field"]
                raise
        _prices_check(side=side, limit=limit, stop=stop)
    except ApiError:
        existing = None if generated else _list_by_client_id(user=user, client_list_id=client_list_id)
        if existing is None:
            raise
        return PlacedList(order_list=existing, duplicate=True)
    stop_leg: dict[str, Any] = {
        "price": plain_decimal(stop.price),
        "stop_price": plain_decimal(stop.stop_price),
        "tif": stop.tif or "GTC",
        "client_order_id": stop.client_order_id or uuid.uuid4().hex,
    }
    if stop.trailing_delta is not None:
        stop_leg["trailing_delta"] = stop.trailing_delta
    command = {
        "op": OP_PLACE_OCO,
        "user_id": user.pk,
        "symbol": instrument.symbol,
        "side": side,
        "qty": plain_decimal(qty),
        "stp": stp,
        "client_list_id": client_list_id,
        "limit": {
            "price": plain_decimal(limit.price),
            "client_order_id": limit.client_order_id or uuid.uuid4().hex,
        },
        "stop": stop_leg,
    }
    reply = engine_send(
        command,
        unknown_msg="Order list status unknown: the engine did not answer in time. Look the list up "
        "before sending it again (with the same client_list_id).",
        client_list_id=client_list_id,
    )
    if not reply.get("ok"):
        raise engine_refusal_error(reply, default=ErrorCode.NEW_ORDER_REJECTED, client_list_id=client_list_id)
    order_list = reply["order_list"]
    duplicate = bool(reply.get("duplicate"))
    if order_list["status"] == OrderListStatus.REJECTED and not duplicate:
        reason = next(
            (o["reason"] for o in order_list["orders"] if o["reason"] != "MATCHING_OCO_OTHER_LEG"), ""
        )
        raise ApiError(
            ErrorCode.NEW_ORDER_REJECTED,
            f"Order list rejected: {reason}.",
            reason=reason,
            order_list_id=order_list["id"],
            client_list_id=client_list_id,
        )
    return PlacedList(order_list=order_list, duplicate=duplicate)


def order_list_cancel(*, user: User, order_list_id: int) -> dict[str, Any]:
    """Cancels the open legs of one of the user's lists; returns the list (ALL_DONE).

    Not the user's, or none: 404 -2013. Ended already: 400 -2011, reason MATCHING_ORDER_LIST_CLOSED.
    """
    _list_id_check(order_list_id)
    reply = engine_send(
        {"op": OP_CANCEL_LIST, "user_id": user.pk, "list_id": order_list_id},
        unknown_msg="Cancel status unknown: the engine did not answer in time. Look the list up.",
        order_list_id=order_list_id,
    )
    if not reply.get("ok"):
        if reply.get("reason") == "MATCHING_UNKNOWN_ORDER":
            lst = order_list_get(user=user, order_list_id=order_list_id)  # 404 if not the user's
            raise ApiError(
                ErrorCode.CANCEL_REJECTED,
                f"Order list {lst.id} is {lst.status}; it can no longer change.",
                reason=LIST_CLOSED,
                order_list_id=lst.id,
            )
        raise engine_refusal_error(reply, default=ErrorCode.CANCEL_REJECTED, order_list_id=order_list_id)
    return reply["order_list"]  # type: ignore[no-any-return]


def _legs_check(*, side: str, above: OcoLeg, below: OcoLeg) -> tuple[OcoLeg, OcoLeg]:
    """(limit leg, stop leg) if the legs fit the side and their types, else a coded ApiError."""
    want = ("LIMIT_MAKER", "STOP_LOSS_LIMIT") if side == Side.SELL else ("STOP_LOSS_LIMIT", "LIMIT_MAKER")
    for prefix, leg, kind in (("above_", above, want[0]), ("below_", below, want[1])):
        if leg.type != kind:
            raise ApiError(
                ErrorCode.ILLEGAL_PARAMETER,
                f"{prefix}type: a {side} list's {prefix[:-1]} leg is {kind}.",
                field=f"{prefix}type",
            )
        if leg.price is None:
            raise ApiError(
                ErrorCode.MANDATORY_PARAM_MISSING,
                f"{prefix}price: {kind} legs need a price.",
                field=f"{prefix}price",
            )
        if kind == OrderType.LIMIT_MAKER:
            for name in ("stop_price", "trailing_delta", "tif"):
                if getattr(leg, name) is not None:
                    raise ApiError(
                        ErrorCode.PARAMETER_NOT_REQUIRED,
                        f"{prefix}{name}: LIMIT_MAKER legs take no {name}.",
                        field=f"{prefix}{name}",
                    )
        elif leg.trailing_delta is not None:
            trailing_delta_check(
                type=kind, stop_price=leg.stop_price, trailing_delta=leg.trailing_delta, field=prefix
            )
        elif leg.stop_price is None:
            raise ApiError(
                ErrorCode.MANDATORY_PARAM_MISSING,
                f"{prefix}stop_price: STOP_LOSS_LIMIT legs need a stop_price or a trailing_delta.",
                field=f"{prefix}stop_price",
            )
    if above.client_order_id is not None and above.client_order_id == below.client_order_id:
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER,
            "below_client_order_id: the two legs need different client_order_ids.",
            field="below_client_order_id",
        )
    return (above, below) if side == Side.SELL else (below, above)


def _prices_check(*, side: str, limit: OcoLeg, stop: OcoLeg) -> None:
    """A fixed stop's trigger must be below the limit for a SELL, above for a BUY (a trailing stop's
    trigger follows the market: the engine checks it against the last trade price)."""
    if stop.stop_price is None or limit.price is None:
        return
    if limit.price <= stop.stop_price if side == Side.SELL else limit.price >= stop.stop_price:
        above, below = ("price", "stop_price") if side == Side.SELL else ("stop_price", "price")
        raise ApiError(
            ErrorCode.FILTER_FAILURE,
            f"Filter failure: {FILTER_OCO_PRICES}: the limit leg's price must be "
            f"{'above' if side == Side.SELL else 'below'} the stop leg's stop_price "
            f"(the above leg's {above} over the below leg's {below}).",
            reason=FILTER_OCO_PRICES,
        )


# ------------------------------------------------------------------------------------- selectors


def _lists_of(user: User) -> QuerySet[OrderList]:
    legs = Order.objects.annotate(symbol=F("instrument__symbol")).order_by("id")
    return (
        OrderList.objects.filter(user=user)
        .annotate(symbol=F("instrument__symbol"))
        .prefetch_related(Prefetch("orders", queryset=legs))
    )


def order_list_list(
    *,
    user: User,
    symbol: str | None = None,
    statuses: list[str] | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> QuerySet[OrderList]:
    """The user's lists, newest first, optionally of one symbol (unknown: 400 -1121), some statuses,
    placed in a time range (ms, both ends inclusive: quantx_site.time_range)."""
    lists = time_range_filter(_lists_of(user), field="created_at", start_ms=start_ms, end_ms=end_ms)
    if symbol is not None:
        lists = lists.filter(instrument=instrument_get(symbol=symbol))
    if statuses is not None:
        lists = lists.filter(status__in=statuses)
    return lists.order_by("-id")


def order_list_get(*, user: User, order_list_id: int) -> OrderList:
    """The user's list with this id, or 404 -2013 (also when it is someone else's)."""
    _list_id_check(order_list_id)
    lst = _lists_of(user).filter(id=order_list_id).first()
    if lst is None:
        raise _no_such_list()
    return lst


def _list_by_client_id(*, user: User, client_list_id: str) -> OrderList | None:
    return _lists_of(user).filter(client_list_id=client_list_id).first()


def _list_id_check(order_list_id: int) -> None:
    if not 0 < order_list_id <= MAX_ID:
        raise _no_such_list()


def _no_such_list() -> ApiError:
    return ApiError(
        ErrorCode.NO_SUCH_ORDER, "Order list does not exist.", status_code=status.HTTP_404_NOT_FOUND
    )
