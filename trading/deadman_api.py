"""`orders/cancel-after/`: the dead-man's switch over REST (docs/api.md "Dead-man's switch").

POST arms, re-arms or (0) disarms a countdown (TRADE scope); GET lists the armed timers, the
cancel-after countdowns and a pending cancel-on-disconnect grace (READ scope).
"""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import StrictCharField
from engine.client.protocol import CANCEL_AFTER_MAX_MS
from quantx_site.errors import ErrorCode
from quantx_site.openapi import error_responses
from quantx_site.serializers import OutputSerializer, StrictSerializer, validated
from trading.api import TAG_ORDERS, ReadOrTradeScope
from trading.deadman import TIMEOUT_WORDS, cancel_after_set, deadman_timers
from trading.serializers import ENGINE_UNAVAILABLE_RESPONSES


class CancelAfterInputSerializer(StrictSerializer):
    timeout_ms = serializers.IntegerField(
        min_value=0, max_value=CANCEL_AFTER_MAX_MS, help_text=f"{TIMEOUT_WORDS}."
    )
    symbol = StrictCharField(
        max_length=20, required=False, allow_null=True, help_text="Only this symbol's orders; absent: all."
    )


class DeadmanTimerOutputSerializer(OutputSerializer):
    kind = serializers.CharField(help_text="CANCEL_AFTER, or CANCEL_ON_DISCONNECT (a grace running).")
    symbol = serializers.CharField(allow_null=True, help_text="null: every symbol.")
    timeout_ms = serializers.IntegerField(help_text="What it was armed with (the grace, for a disconnect).")
    deadline_ms = serializers.IntegerField(allow_null=True, help_text="ms since the epoch; null: disarmed.")
    deadline = serializers.DateTimeField(allow_null=True)
    remaining_ms = serializers.IntegerField(allow_null=True)


class CancelAfterOutputSerializer(DeadmanTimerOutputSerializer):
    now_ms = serializers.IntegerField(help_text="The engine's clock when it armed the timer.")


class DeadmanTimersOutputSerializer(OutputSerializer):
    timers = DeadmanTimerOutputSerializer(many=True)
    cancel_on_disconnect_sockets = serializers.IntegerField(
        help_text="Your live WebSockets that asked for cancel_on_disconnect."
    )
    grace_ms = serializers.IntegerField(help_text="The cancel-on-disconnect grace period.")
    now_ms = serializers.IntegerField()


class CancelAfterApi(APIView):
    permission_classes = (ReadOrTradeScope,)

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="cancel_after_list",
        summary="My armed dead-man's switch timers",
        responses={200: DeadmanTimersOutputSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        validated(StrictSerializer, request.query_params)
        return Response(DeadmanTimersOutputSerializer(deadman_timers(user=request.user)).data)

    @extend_schema(
        tags=[TAG_ORDERS],
        operation_id="cancel_after_set",
        summary="Arm, re-arm or disarm a cancel-after countdown (dead-man's switch)",
        description="When the countdown runs out, the engine cancels your open orders on `symbol` (all "
        "symbols without one), waiting stops included, reason `CANCEL_AFTER`, with the usual execution "
        "reports. Call again before it runs out to push the deadline back; `timeout_ms: 0` disarms. One "
        "countdown per symbol and one for all symbols, independent of each other.",
        request=CancelAfterInputSerializer,
        responses={
            200: CancelAfterOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                415,
                examples={
                    400: [
                        (ErrorCode.ILLEGAL_PARAMETER, f"timeout_ms: {TIMEOUT_WORDS}."),
                        (ErrorCode.MANDATORY_PARAM_MISSING, "timeout_ms: This field is required."),
                        (ErrorCode.BAD_SYMBOL, "symbol: Invalid symbol 'DOGE-USD'."),
                    ]
                },
            ),
            **ENGINE_UNAVAILABLE_RESPONSES,
        },
        examples=[
            OpenApiExample("Cancel everything in 60 s", value={"timeout_ms": 60000}, request_only=True),
            OpenApiExample("Disarm BTC-USD", value={"timeout_ms": 0, "symbol": "BTC-USD"}, request_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        data = validated(CancelAfterInputSerializer, request.data)
        timer = cancel_after_set(user=request.user, timeout_ms=data["timeout_ms"], symbol=data.get("symbol"))
        return Response(CancelAfterOutputSerializer(timer).data)
