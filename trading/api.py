"""Trading REST API: orders, my trades, positions, instruments (docs/api.md).

Views only parse, call one service or selector and serialize (shared/STYLE.md rule 1). Reads need
the READ scope, writes the TRADE scope (an API key has the scopes it was given; a login has all).
Every error leaves in the one shape (quantx_site/errors.py).
"""

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasReadScope, HasTradeScope
from accounts.throttling import ScopeRateThrottle
from quantx_site.errors import ErrorCode
from quantx_site.openapi import error_responses
from quantx_site.pagination import IdCursorPagination
from quantx_site.serializers import StrictSerializer, validated
from trading import selectors, services
from trading.positions import position_list
from trading.serializers import (
    ENGINE_UNAVAILABLE_RESPONSES,
    CanceledOrdersOutputSerializer,
    InstrumentOutputSerializer,
    MyTradeOutputSerializer,
    OrderAmendInputSerializer,
    OrderCancelAllQuerySerializer,
    OrderListQuerySerializer,
    OrderOutputSerializer,
    OrderPlaceInputSerializer,
    OrderWithFillsOutputSerializer,
    PositionOutputSerializer,
    TradeListQuerySerializer,
    order_error_responses,
    order_place_kwargs,
)

TAG_ORDERS = "orders"
TAG_ACCOUNT = "account"
TAG_MARKET = "market"


class ReadOrTradeScope(BasePermission):
    """READ scope for GET/HEAD/OPTIONS, TRADE scope for the methods that change something."""

    def has_permission(self, request: Request, view: Any) -> bool:
        scope = HasReadScope() if request.method in SAFE_METHODS else HasTradeScope()
        return scope.has_permission(request, view)


class OrderPlaceThrottle(ScopeRateThrottle):
    """Placing orders, per user (rate: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["order_place"])."""

    scope = "order_place"
    methods = frozenset({"POST"})


class OrderListApi(APIView):
    """`orders/`: list (GET), place (POST), cancel all on a symbol (DELETE)."""

    permission_classes = (ReadOrTradeScope,)
    throttle_classes = (OrderPlaceThrottle,)
    pagination_class = IdCursorPagination
    write_query_params = {"DELETE": frozenset({"symbol", "side"})}  # quantx_site.middleware

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="orders_list",
        summary="List my orders",
        description="Newest first, cursor-paginated (follow `next`).",
        parameters=[OrderListQuerySerializer],
        responses={
            200: OrderOutputSerializer(many=True),
            **error_responses(
                400,
                401,
                403,
                429,
                examples={
                    400: [
                        (ErrorCode.BAD_SYMBOL, "symbol: Invalid symbol 'DOGE-USD'."),
                        (ErrorCode.ILLEGAL_PARAMETER, 'status: "OPEN" is not a valid choice.'),
                        (ErrorCode.UNKNOWN_PARAMETER, "symbl: Unknown field."),
                    ]
                },
            ),
        },
    )
    def get(self, request: Request) -> Response:
        query = validated(OrderListQuerySerializer, request.query_params)
        orders = selectors.order_list(
            user=request.user,
            symbol=query.get("symbol"),
            statuses=query.get("status"),
            side=query.get("side"),
            start_ms=query.get("start_time"),
            end_ms=query.get("end_time"),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(orders, request, view=self)
        return paginator.get_paginated_response(OrderOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="order_place",
        summary="Place an order",
        description="201 with the order and the trades it made at once. Sending a `client_order_id` you "
        "used before returns the original order with 200 and changes nothing, so a request that timed "
        "out can be retried safely. An order the engine rejected (e.g. a LIMIT_MAKER that would take) "
        "is stored as REJECTED and answered 400 -2010 with its `reason` and `order_id`.",
        request=OrderPlaceInputSerializer,
        responses={
            201: OpenApiResponse(OrderWithFillsOutputSerializer, description="Placed (see `status`)."),
            200: OpenApiResponse(
                OrderWithFillsOutputSerializer, description="A duplicate: the original order."
            ),
            **order_error_responses(
                400,
                "Refused before or by the engine; nothing changed unless `order_id` is given (a REJECTED order).",
                [
                    (
                        ErrorCode.MANDATORY_PARAM_MISSING,
                        "price: LIMIT orders need a price.",
                        {"field": "price"},
                    ),
                    (
                        ErrorCode.PARAMETER_NOT_REQUIRED,
                        "price: MARKET orders take no price.",
                        {"field": "price"},
                    ),
                    (ErrorCode.BAD_SYMBOL, "symbol: Invalid symbol 'DOGE-USD'.", {"field": "symbol"}),
                    (
                        ErrorCode.FILTER_FAILURE,
                        "Filter failure: FILTER_TICK_SIZE: price 100.005 is not a multiple of the tick 0.01.",
                        {"field": "price", "reason": "FILTER_TICK_SIZE"},
                    ),
                    (
                        ErrorCode.NEW_ORDER_REJECTED,
                        "Insufficient balance for this order.",
                        {"reason": "RISK_INSUFFICIENT_FUNDS", "client_order_id": "my-order-1"},
                    ),
                    (
                        ErrorCode.NEW_ORDER_REJECTED,
                        "BTC-USD is halted.",
                        {"reason": "WORKER_INSTRUMENT_HALTED"},
                    ),
                    (
                        ErrorCode.NEW_ORDER_REJECTED,
                        "Order rejected: MATCHING_WOULD_TAKE.",
                        {"reason": "MATCHING_WOULD_TAKE", "order_id": 1042, "client_order_id": "my-order-1"},
                    ),
                    (ErrorCode.UNKNOWN_PARAMETER, "status: Unknown field.", {"field": "status"}),
                ],
            ),
            **error_responses(401, 403, 415, 429),
            **ENGINE_UNAVAILABLE_RESPONSES,
        },
        examples=[
            OpenApiExample(
                "Limit buy",
                value={
                    "symbol": "BTC-USD",
                    "side": "BUY",
                    "type": "LIMIT",
                    "qty": "0.010",
                    "price": "30000.00",
                    "client_order_id": "my-order-1",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Market buy for 500 USD",
                value={"symbol": "BTC-USD", "side": "BUY", "type": "MARKET", "quote_qty": "500"},
                request_only=True,
            ),
            OpenApiExample(
                "Stop-loss sell",
                value={
                    "symbol": "BTC-USD",
                    "side": "SELL",
                    "type": "STOP_LOSS_LIMIT",
                    "qty": "0.5",
                    "stop_price": "28000.00",
                    "price": "27900.00",
                    "tif": "GTC",
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = validated(OrderPlaceInputSerializer, request.data)
        result = services.order_place(
            user=request.user,
            **order_place_kwargs(data),
        )
        code = status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED
        return Response(OrderWithFillsOutputSerializer(result.order).data, status=code)

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="orders_cancel_all",
        summary="Cancel all my open orders on a symbol",
        parameters=[OrderCancelAllQuerySerializer],
        responses={
            200: CanceledOrdersOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                examples={400: [(ErrorCode.MANDATORY_PARAM_MISSING, "symbol: This field is required.")]},
            ),
            **ENGINE_UNAVAILABLE_RESPONSES,
        },
    )
    def delete(self, request: Request) -> Response:
        query = validated(OrderCancelAllQuerySerializer, request.query_params)
        orders = services.order_cancel_all(user=request.user, symbol=query["symbol"], side=query.get("side"))
        return Response(CanceledOrdersOutputSerializer({"orders": orders}).data)


_NO_SUCH_ORDER = error_responses(404, examples={404: [(ErrorCode.NO_SUCH_ORDER, "Order does not exist.")]})


class OrderDetailApi(APIView):
    """`orders/<id>/`: read (GET), cancel (DELETE), amend down (PATCH)."""

    permission_classes = (ReadOrTradeScope,)

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="order_get",
        summary="Get one of my orders",
        responses={200: OrderOutputSerializer, **error_responses(400, 401, 403), **_NO_SUCH_ORDER},
    )
    def get(self, request: Request, order_id: int) -> Response:
        validated(StrictSerializer, request.query_params)
        order = selectors.order_get(user=request.user, order_id=order_id)
        return Response(OrderOutputSerializer(order).data)

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="order_cancel",
        summary="Cancel one of my orders",
        responses={
            200: OrderOutputSerializer,
            **order_error_responses(
                400,
                "The order is no longer open.",
                [
                    (
                        ErrorCode.CANCEL_REJECTED,
                        "Order 1042 is FILLED; it can no longer change.",
                        {"reason": "MATCHING_ORDER_CLOSED", "order_id": 1042},
                    )
                ],
            ),
            **error_responses(401, 403),
            **_NO_SUCH_ORDER,
            **ENGINE_UNAVAILABLE_RESPONSES,
        },
    )
    def delete(self, request: Request, order_id: int) -> Response:
        validated(StrictSerializer, request.query_params)
        order = services.order_cancel(user=request.user, order_id=order_id)
        return Response(OrderOutputSerializer(order).data)

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="order_amend",
        summary="Reduce the open quantity of one of my orders",
        description="Keeps the order's time priority. `qty` is the new `remaining`: below the current "
        "one and a multiple of the lot.",
        request=OrderAmendInputSerializer,
        responses={
            200: OrderOutputSerializer,
            **order_error_responses(
                400,
                "Refused; nothing changed.",
                [
                    (
                        ErrorCode.ORDER_AMEND_REJECTED,
                        "qty must be below the open quantity 0.5; an amend can only reduce an order.",
                        {"field": "qty", "reason": "MATCHING_BAD_AMEND"},
                    ),
                    (
                        ErrorCode.ORDER_AMEND_REJECTED,
                        "Order 1042 is CANCELED; it can no longer change.",
                        {"reason": "MATCHING_ORDER_CLOSED", "order_id": 1042},
                    ),
                    (
                        ErrorCode.FILTER_FAILURE,
                        "Filter failure: FILTER_LOT_SIZE: qty 0.0005 is not a multiple of the lot 0.001.",
                        {"field": "qty", "reason": "FILTER_LOT_SIZE"},
                    ),
                ],
            ),
            **error_responses(401, 403, 415),
            **_NO_SUCH_ORDER,
            **ENGINE_UNAVAILABLE_RESPONSES,
        },
        examples=[OpenApiExample("Reduce to 0.2", value={"qty": "0.2"}, request_only=True)],
    )
    def patch(self, request: Request, order_id: int) -> Response:
        validated(StrictSerializer, request.query_params)
        data = validated(OrderAmendInputSerializer, request.data)
        order = services.order_amend(user=request.user, order_id=order_id, qty=data["qty"])
        return Response(OrderOutputSerializer(order).data)


class OrderByClientIdApi(APIView):
    permission_classes = (HasReadScope,)

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="order_get_by_client_id",
        summary="Get one of my orders by client_order_id",
        description="How to learn the outcome of a placement answered 503 -1007.",
        responses={200: OrderOutputSerializer, **error_responses(400, 401, 403), **_NO_SUCH_ORDER},
    )
    def get(self, request: Request, client_order_id: str) -> Response:
        validated(StrictSerializer, request.query_params)
        order = selectors.order_get_by_client_id(user=request.user, client_order_id=client_order_id)
        return Response(OrderOutputSerializer(order).data)


class TradeListApi(APIView):
    permission_classes = (HasReadScope,)
    pagination_class = IdCursorPagination

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="trades_list",
        summary="List my trades",
        description="Each row is a trade seen from my side. Newest first, cursor-paginated by trade; a "
        "self-trade shows as two rows (TAKER and MAKER) with the same trade_id.",
        parameters=[TradeListQuerySerializer],
        responses={200: MyTradeOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        query = validated(TradeListQuerySerializer, request.query_params)
        trades = selectors.trade_list(
            user=request.user,
            symbol=query.get("symbol"),
            order_id=query.get("order_id"),
            start_ms=query.get("start_time"),
            end_ms=query.get("end_time"),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(trades, request, view=self)
        fills = selectors.fills_of(page or [], user=request.user, order_id=query.get("order_id"))
        return paginator.get_paginated_response(MyTradeOutputSerializer(fills, many=True).data)


class PositionListApi(APIView):
    permission_classes = (HasReadScope,)

    @extend_schema(
        tags=[TAG_ACCOUNT],
        operation_id="positions_list",
        summary="List my positions",
        description="Unrealized PnL is marked to each symbol's last trade price.",
        responses={200: PositionOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        validated(StrictSerializer, request.query_params)
        return Response(PositionOutputSerializer(position_list(user=request.user), many=True).data)


class InstrumentListApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        tags=[TAG_MARKET],
        operation_id="instruments_list",
        summary="List instruments",
        description="Public. Symbols with their filters, fees and trading status.",
        auth=[],
        responses={200: InstrumentOutputSerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        validated(StrictSerializer, request.query_params)
        return Response(InstrumentOutputSerializer(selectors.instrument_list(), many=True).data)
