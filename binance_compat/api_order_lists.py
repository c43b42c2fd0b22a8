"""Signed OCO endpoints of /api/v3/: place (`orderList/oco`), query and cancel (`orderList`), and
list (`allOrderList`, `openOrderList`), as Binance spot names them.

The lists are QuantX's (trading.order_lists: the same checks, the same engine seam as
/api/v1/order-lists/oco/). QuantX's engine has one OCO shape: a SELL's above leg is a LIMIT_MAKER
and its below leg a STOP_LOSS_LIMIT (fixed stopPrice or trailingDelta), a BUY the mirror; other leg
types are refused with Binance's OCO codes (docs/binance-compat.md).
"""

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from binance_compat import encode
from binance_compat import selectors as facade
from binance_compat.api_trading import RESPONSE_TYPES, SignedApi
from binance_compat.encode import STP_MODES
from binance_compat.symbols import instrument_for
from quantx_site.errors import ApiError, ErrorCode
from trading import order_lists
from trading.models import Side, TimeInForce
from trading.serializers import CLIENT_ORDER_ID

LEG_TYPES = ("STOP_LOSS", "STOP_LOSS_LIMIT", "LIMIT_MAKER", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")
"""The leg types Binance takes; QuantX's engine places LIMIT_MAKER and STOP_LOSS_LIMIT legs."""
_SHAPE = {Side.SELL: ("LIMIT_MAKER", "STOP_LOSS_LIMIT"), Side.BUY: ("STOP_LOSS_LIMIT", "LIMIT_MAKER")}
UNSUPPORTED_LEG_PARAMS = ("IcebergQty", "StrategyId", "StrategyType", "PegPriceType", "PegOffsetType",
                          "PegOffsetValue")  # fmt: skip
"""Per-leg Binance parameters QuantX has no feature for: refused (-1106) rather than ignored."""


def _client_id(api: SignedApi, name: str) -> str | None:
    value = api.params.text(name, max_length=36)
    if value is not None and not CLIENT_ORDER_ID.regex.fullmatch(value):
        raise ApiError(ErrorCode.ILLEGAL_PARAMETER, CLIENT_ORDER_ID.message, field=name)
    return value


def _leg(api: SignedApi, where: str) -> order_lists.OcoLeg:
    p = api.params
    for name in UNSUPPORTED_LEG_PARAMS:
        if p.has(where + name):
            raise ApiError(
                ErrorCode.PARAMETER_NOT_REQUIRED, f"{where}{name}: not supported.", field=where + name
            )
        p.read.add(where + name)
    leg_type = p.choice(f"{where}Type", LEG_TYPES, required=True) or ""
    tif = p.choice(f"{where}TimeInForce", TimeInForce.values)
    if tif is None and leg_type in ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"):
        raise ApiError(ErrorCode.MANDATORY_PARAM_MISSING, "missing.", field=f"{where}TimeInForce")
    return order_lists.OcoLeg(
        type=leg_type,
        price=p.decimal(f"{where}Price"),
        stop_price=p.decimal(f"{where}StopPrice"),
        trailing_delta=p.integer(f"{where}TrailingDelta", maximum=2**31 - 1),
        tif=tif,
        client_order_id=_client_id(api, f"{where}ClientOrderId"),
    )


def _shape_check(side: str, above: order_lists.OcoLeg, below: order_lists.OcoLeg) -> None:
    """Refuses, in Binance's words, an OCO whose legs QuantX's engine cannot place."""
    if above.type == below.type == "LIMIT_MAKER":
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER, "Both legs LIMIT_MAKER.", reason="BOTH_OCO_ORDERS_CANNOT_BE_LIMIT"
        )
    if (above.type, below.type) != _SHAPE[side]:  # type: ignore[index]
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER, "Leg types not supported.", reason="OCO_ORDER_TYPE_REJECTED"
        )


class OcoApi(SignedApi):
    """POST orderList/oco: an OCO list (counts as two orders, as Binance counts it)."""

    def post(self, request: Request) -> Response:
        p = self.params
        instrument = instrument_for(p.text("symbol", required=True) or "")
        side = p.choice("side", Side.values, required=True) or ""
        qty = p.decimal("quantity", required=True)
        list_client_id = _client_id(self, "listClientOrderId")
        above, below = _leg(self, "above"), _leg(self, "below")
        stp = p.choice("selfTradePreventionMode", STP_MODES) or "NONE"
        response_type = p.choice("newOrderRespType", RESPONSE_TYPES) or "RESULT"
        p.done()
        _shape_check(side, above, below)
        self.count_order(request)
        self.count_order(request)
        try:
            placed = order_lists.order_list_place(
                user=self.account, symbol=instrument.symbol, side=side, qty=qty,  # type: ignore[arg-type]
                above=above, below=below, stp=stp, client_list_id=list_client_id,
            )  # fmt: skip
        except ApiError as exc:
            if exc.extra.get("reason") == order_lists.FILTER_OCO_PRICES:
                reason = (
                    "SELL_OCO_LIMIT_MUST_BE_ABOVE" if side == Side.SELL else "BUY_OCO_LIMIT_MUST_BE_BELOW"
                )
                raise ApiError(exc.error_code, exc.msg, reason=reason) from None
            raise
        if placed.duplicate:
            raise ApiError(ErrorCode.NEW_ORDER_REJECTED, "Duplicate order sent.", reason="DUPLICATE_ORDER")
        return Response(encode.order_list_placed(placed.order_list, response_type))


class OrderListApi(SignedApi):
    """GET: one list (orderListId or origClientOrderId); DELETE: cancel one (orderListId or
    listClientOrderId)."""

    def weight_of(self, request: Request) -> int:
        return 4 if request.method == "GET" else 1

    def _lookup(self, client_id_name: str) -> Any:
        list_id = self.params.integer("orderListId", minimum=1)
        client_id = self.params.text(client_id_name, max_length=36)
        if list_id is None and client_id is None:
            raise ApiError(ErrorCode.MANDATORY_PARAM_MISSING, "missing.", field="orderListId")
        return facade.order_list_lookup(user=self.account, order_list_id=list_id, client_list_id=client_id)

    def get(self, request: Request) -> Response:
        lst = self._lookup("origClientOrderId")
        self.params.done()
        return Response(encode.order_list(lst))

    def delete(self, request: Request) -> Response:
        instrument = instrument_for(self.params.text("symbol", required=True) or "")
        lst = self._lookup("listClientOrderId")
        self.params.text("newClientOrderId", max_length=36)
        self.params.done()
        if lst.instrument_id != instrument.id:
            raise ApiError(ErrorCode.NO_SUCH_ORDER, "Order list does not exist.")
        canceled = order_lists.order_list_cancel(user=self.account, order_list_id=lst.id)
        return Response(encode.order_list_canceled(canceled))


class AllOrderListApi(SignedApi):
    """GET allOrderList: the user's lists, from `fromId` on or the newest in a time range."""

    weight = 20

    def get(self, request: Request) -> Response:
        from_id = self.params.integer("fromId", minimum=1)
        start, end = self.params.time_ms("startTime"), self.params.time_ms("endTime")
        limit = self.params.integer("limit", minimum=1, maximum=1000) or 500
        self.params.done()
        if from_id is not None and (start is not None or end is not None):
            raise ApiError(
                ErrorCode.ILLEGAL_PARAMETER, "fromId with startTime/endTime.", reason="BAD_PARAM_COMBINATION"
            )
        lists = facade.order_lists_of(user=self.account, from_id=from_id, start=start, end=end, limit=limit)
        return Response([encode.order_list(lst) for lst in lists])


class OpenOrderListApi(SignedApi):
    """GET openOrderList: the user's lists with a leg still open."""

    weight = 6

    def get(self, request: Request) -> Response:
        self.params.done()
        return Response([encode.order_list(lst) for lst in facade.open_order_lists(user=self.account)])
