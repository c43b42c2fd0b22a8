"""`POST /api/v1/orders/test/`: a test order (trading.whatif). Parse, call one service, serialize."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.throttling import ScopeRateThrottle
from quantx_site.errors import ErrorCode
from quantx_site.openapi import error_responses
from quantx_site.serializers import AmountOutField, OutputSerializer, validated
from trading.api import TAG_ORDERS, ReadOrTradeScope
from trading.models import OrderStatus
from trading.serializers import (
    OrderErrorSerializer,
    OrderOutputSerializer,
    OrderPlaceInputSerializer,
    order_error_responses,
    order_place_kwargs,
)
from trading.whatif import order_test


class OrderTestThrottle(ScopeRateThrottle):
    """Test orders, per user: their own counter, not the `order_place` one (Binance's order/test
    does not count as an order either). Rate: DEFAULT_THROTTLE_RATES["order_test"]."""

    scope = "order_test"


@extend_schema_serializer(component_name="EstimateFill")
class EstimateFillOutputSerializer(OutputSerializer):
    price = AmountOutField()
    qty = AmountOutField(help_text="Base quantity that would trade at this price (all makers at the level).")
    quote_qty = AmountOutField(help_text="price x qty")


@extend_schema_serializer(component_name="OrderEstimate")
class OrderEstimateOutputSerializer(OutputSerializer):
    duplicate = serializers.BooleanField(
        help_text="The client_order_id was used before: a place would return `order` and change nothing."
    )
    order = OrderOutputSerializer(
        allow_null=True, help_text="The original order, for a duplicate; else null."
    )
    status = serializers.ChoiceField(
        choices=[s.value for s in OrderStatus],
        help_text="The order's status right after placing: NEW (rests, or a stop waits), PARTIALLY_FILLED, "
        "FILLED or EXPIRED (see `reason`). For a duplicate, the original's status.",
    )
    reason = serializers.CharField(
        help_text="Why it would expire: MATCHING_NO_LIQUIDITY, MATCHING_FOK_NOT_FILLABLE, MATCHING_STP; or empty."
    )
    fills = EstimateFillOutputSerializer(
        many=True, help_text="The fills it would make, price level by level."
    )
    filled = AmountOutField(help_text="Total base quantity filled.")
    quote_filled = AmountOutField(help_text="Total quote amount of the fills.")
    avg_price = AmountOutField(
        allow_null=True, help_text="quote_filled / filled, rounded half-even; null if none."
    )
    fee = AmountOutField(help_text="Taker fee on the fills, in fee_asset (rounded up per trade, as charged).")
    fee_asset = serializers.CharField(help_text="The asset received: base when buying, quote when selling.")
    fee_rate = AmountOutField(help_text="The instrument's taker fee rate.")
    rests = AmountOutField(help_text="Base quantity that would rest in the book (or wait, for a stop).")
    rest_price = AmountOutField(allow_null=True, help_text="Its limit price; null if nothing rests.")
    hold_asset = serializers.CharField(help_text="The asset held from free balance at placement.")
    hold = AmountOutField(
        help_text="Held at placement: what the funds check compares with your free balance."
    )
    locked_after = AmountOutField(help_text="Still locked once the fills are settled (for what rests).")


class OrderTestApi(APIView):
    """`orders/test/`: would this order be accepted, and what would it do? Changes nothing."""

    permission_classes = (ReadOrTradeScope,)
    throttle_classes = (OrderTestThrottle,)

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="order_test",
        summary="Test an order (what-if)",
        description="Takes exactly the body of `POST /orders/` and changes nothing: no order, no order id, "
        "no client_order_id used up, no balance moved. Refused exactly as a place would be (same status, "
        "code, reason and message; a LIMIT_MAKER that would take or a stop that would trigger at once is "
        "400 -2010 without `order_id`, since nothing is stored). Otherwise 200 with an estimate from the "
        "current book and your free balance: the fills level by level, the taker fee, what would rest "
        "and the hold it needs. Own rate limit (`order_test`), not counted as an order.",
        request=OrderPlaceInputSerializer,
        responses={
            200: OpenApiResponse(
                OrderEstimateOutputSerializer, description="It would be accepted: the estimate."
            ),
            **order_error_responses(
                400,
                "A place would be refused so; nothing changed.",
                [
                    (
                        ErrorCode.MANDATORY_PARAM_MISSING,
                        "price: LIMIT orders need a price.",
                        {"field": "price"},
                    ),
                    (
                        ErrorCode.NEW_ORDER_REJECTED,
                        "Insufficient balance for this order.",
                        {"reason": "RISK_INSUFFICIENT_FUNDS"},
                    ),
                    (
                        ErrorCode.NEW_ORDER_REJECTED,
                        "Order rejected: MATCHING_WOULD_TAKE.",
                        {"reason": "MATCHING_WOULD_TAKE"},
                    ),
                ],
            ),
            **error_responses(401, 403, 415, 429),
            503: OpenApiResponse(OrderErrorSerializer, description="The engine did not answer or is busy."),
        },
        examples=[
            OpenApiExample(
                "Estimate of a limit buy that crosses",
                value={
                    "duplicate": False,
                    "order": None,
                    "status": "PARTIALLY_FILLED",
                    "reason": "",
                    "fills": [{"price": "100.00000000", "qty": "0.00200000", "quote_qty": "0.20000000"}],
                    "filled": "0.00200000",
                    "quote_filled": "0.20000000",
                    "avg_price": "100.00000000",
                    "fee": "0.00000400",
                    "fee_asset": "BTC",
                    "fee_rate": "0.00200000",
                    "rests": "0.00100000",
                    "rest_price": "100.00000000",
                    "hold_asset": "USD",
                    "hold": "0.30000000",
                    "locked_after": "0.10000000",
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = validated(OrderPlaceInputSerializer, request.data)
        result = order_test(
            user=request.user,
            **order_place_kwargs(data),
        )
        return Response(OrderEstimateOutputSerializer(result.as_output()).data)
