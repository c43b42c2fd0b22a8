"""Order-list (OCO) REST API: place (`order-lists/oco/`), list, read and cancel (docs/api.md).

Thin like trading.api: parse, call one service or selector, serialize.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quantx_site.errors import ErrorCode
from quantx_site.openapi import error_responses
from quantx_site.pagination import IdCursorPagination
from quantx_site.serializers import StrictSerializer, validated
from trading import order_lists
from trading.api import TAG_ORDERS, OrderPlaceThrottle, ReadOrTradeScope
from trading.order_list_serializers import (
    OcoPlaceInputSerializer,
    OrderListOutputSerializer,
    OrderListsQuerySerializer,
    OrderListWithFillsOutputSerializer,
)
from trading.serializers import ENGINE_UNAVAILABLE_RESPONSES, order_error_responses

_NO_SUCH_LIST = error_responses(
    404, examples={404: [(ErrorCode.NO_SUCH_ORDER, "Order list does not exist.")]}
)


class OcoPlaceApi(APIView):
    """`order-lists/oco/`: place an OCO list (POST)."""

    permission_classes = (ReadOrTradeScope,)
    throttle_classes = (OrderPlaceThrottle,)

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="order_list_place_oco",
        summary="Place an OCO order list",
        description="Two legs on one symbol, side and qty, with one hold: for a SELL the above leg is a "
        "LIMIT_MAKER (take profit) and the below leg a STOP_LOSS_LIMIT (stop loss, fixed `stop_price` or "
        "`trailing_delta`); for a BUY the mirror. When either leg fills (even partly) or triggers, the "
        "other expires in the same engine step (reason MATCHING_OCO_OTHER_LEG); cancelling a leg or the "
        "list cancels both. 201 with the list and its legs; a `client_list_id` used before returns the "
        "original list with 200 and changes nothing.",
        request=OcoPlaceInputSerializer,
        responses={
            201: OpenApiResponse(OrderListWithFillsOutputSerializer, description="Placed."),
            200: OpenApiResponse(
                OrderListWithFillsOutputSerializer, description="A duplicate: the original list."
            ),
            **order_error_responses(
                400,
                "Refused; nothing changed unless `order_list_id` is given (a REJECTED list).",
                [
                    (
                        ErrorCode.FILTER_FAILURE,
                        "Filter failure: FILTER_OCO_PRICES: the limit leg's price must be above the stop "
                        "leg's stop_price.",
                        {"reason": "FILTER_OCO_PRICES"},
                    ),
                    (
                        ErrorCode.FILTER_FAILURE,
                        "Filter failure: FILTER_TRAILING_DELTA: trailing_delta 0 is not 1 to 2000 basis points.",
                        {"field": "below_trailing_delta", "reason": "FILTER_TRAILING_DELTA"},
                    ),
                    (
                        ErrorCode.ILLEGAL_PARAMETER,
                        "above_type: a SELL list's above leg is LIMIT_MAKER.",
                        {"field": "above_type"},
                    ),
                    (
                        ErrorCode.NEW_ORDER_REJECTED,
                        "Order list rejected: MATCHING_WOULD_TAKE.",
                        {"reason": "MATCHING_WOULD_TAKE", "order_list_id": 7},
                    ),
                    (ErrorCode.UNKNOWN_PARAMETER, "price: Unknown field.", {"field": "price"}),
                ],
            ),
            **error_responses(401, 403, 415, 429),
            **ENGINE_UNAVAILABLE_RESPONSES,
        },
        examples=[
            OpenApiExample(
                "Sell: take profit at 52000, stop loss at 48000",
                value={
                    "symbol": "BTC-USD",
                    "side": "SELL",
                    "qty": "0.5",
                    "above_type": "LIMIT_MAKER",
                    "above_price": "52000",
                    "below_type": "STOP_LOSS_LIMIT",
                    "below_stop_price": "48000",
                    "below_price": "47900",
                    "client_list_id": "my-list-1",
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        validated(StrictSerializer, request.query_params)
        data = validated(OcoPlaceInputSerializer, request.data)
        legs = {
            where: order_lists.OcoLeg(
                type=data[f"{where}_type"],
                price=data.get(f"{where}_price"),
                stop_price=data.get(f"{where}_stop_price"),
                trailing_delta=data.get(f"{where}_trailing_delta"),
                tif=data.get(f"{where}_tif"),
                client_order_id=data.get(f"{where}_client_order_id"),
            )
            for where in ("above", "below")
        }
        result = order_lists.order_list_place(
            user=request.user,
            symbol=data["symbol"],
            side=data["side"],
            qty=data["qty"],
            above=legs["above"],
            below=legs["below"],
            stp=data["stp"],
            client_list_id=data.get("client_list_id"),
        )
        code = status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED
        return Response(OrderListWithFillsOutputSerializer(result.order_list).data, status=code)


class OrderListListApi(APIView):
    """`order-lists/`: my lists (GET)."""

    permission_classes = (ReadOrTradeScope,)
    pagination_class = IdCursorPagination

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="order_lists_list",
        summary="List my order lists",
        description="Newest first, cursor-paginated (follow `next`), each with its two legs; `start_time` / "
        "`end_time` (ms, inclusive) bound when the list was placed.",
        parameters=[OrderListsQuerySerializer],
        responses={200: OrderListOutputSerializer(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        query = validated(OrderListsQuerySerializer, request.query_params)
        lists = order_lists.order_list_list(
            user=request.user,
            symbol=query.get("symbol"),
            statuses=query.get("status"),
            start_ms=query.get("start_time"),
            end_ms=query.get("end_time"),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(lists, request, view=self)
        return paginator.get_paginated_response(OrderListOutputSerializer(page, many=True).data)


class OrderListDetailApi(APIView):
    """`order-lists/<id>/`: read (GET), cancel (DELETE)."""

    permission_classes = (ReadOrTradeScope,)

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="order_list_get",
        summary="Get one of my order lists",
        responses={200: OrderListOutputSerializer, **error_responses(400, 401, 403), **_NO_SUCH_LIST},
    )
    def get(self, request: Request, order_list_id: int) -> Response:
        validated(StrictSerializer, request.query_params)
        lst = order_lists.order_list_get(user=request.user, order_list_id=order_list_id)
        return Response(OrderListOutputSerializer(lst).data)

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="order_list_cancel",
        summary="Cancel one of my order lists",
        description="Cancels what is still open of the list; answers the list (ALL_DONE).",
        responses={
            200: OrderListOutputSerializer,
            **order_error_responses(
                400,
                "The list has ended.",
                [
                    (
                        ErrorCode.CANCEL_REJECTED,
                        "Order list 7 is ALL_DONE; it can no longer change.",
                        {"reason": "MATCHING_ORDER_LIST_CLOSED"},
                    )
                ],
            ),
            **error_responses(401, 403),
            **_NO_SUCH_LIST,
            **ENGINE_UNAVAILABLE_RESPONSES,
        },
    )
    def delete(self, request: Request, order_list_id: int) -> Response:
        validated(StrictSerializer, request.query_params)
        lst = order_lists.order_list_cancel(user=request.user, order_list_id=order_list_id)
        return Response(OrderListOutputSerializer(lst).data)
