"""Account REST API: balances, the ledger, and the paper-trading faucet (docs/api.md).

Views only parse, call one service or selector and serialize (shared/STYLE.md rule 1). Reads need
the READ scope; the faucet changes balances, so it needs TRADE.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.faucet import REQUEST_ID, faucet_credit, faucet_request_id
from accounts.models import LedgerReason
from accounts.permissions import HasReadScope, HasTradeScope
from accounts.selectors import balance_list, ledger_list
from accounts.serializers import StrictCharField
from quantx_site.errors import ErrorCode
from quantx_site.openapi import error_responses
from quantx_site.pagination import IdCursorPagination, PageQuerySerializer
from quantx_site.serializers import AmountField, AmountOutField, StrictSerializer, validated
from quantx_site.time_range import TimeRangeQueryMixin

TAG_ACCOUNT = "account"


@extend_schema_serializer(component_name="Balance")
class BalanceOutputSerializer(serializers.Serializer):
    asset = serializers.CharField(source="asset.code")
    free = AmountOutField(help_text="Available to trade or withdraw.")
    locked = AmountOutField(help_text="Held by open orders.")


class AccountApi(APIView):
    permission_classes = (HasReadScope,)

    @extend_schema_serializer(component_name="Account")
    class OutputSerializer(serializers.Serializer):
        balances = BalanceOutputSerializer(many=True)

    @extend_schema(
        tags=[TAG_ACCOUNT],
        operation_id="account_get",
        summary="My balances",
        description="One row per asset I have ever held, amounts as strings with 8 decimals.",
        responses={200: OutputSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        validated(StrictSerializer, request.query_params)
        return Response(self.OutputSerializer({"balances": balance_list(user=request.user)}).data)


class LedgerApi(APIView):
    permission_classes = (HasReadScope,)
    pagination_class = IdCursorPagination

    class QuerySerializer(TimeRangeQueryMixin, PageQuerySerializer):
        asset = StrictCharField(required=False, max_length=12, help_text="An asset code, e.g. BTC.")
        reason = serializers.ChoiceField(choices=LedgerReason.choices, required=False)

    @extend_schema_serializer(component_name="LedgerEntry")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        asset = serializers.CharField(source="asset.code")
        delta_free = AmountOutField(help_text="Signed change of the free balance.")
        delta_locked = AmountOutField(help_text="Signed change of the locked balance.")
        reason = serializers.ChoiceField(choices=LedgerReason.choices)
        order_id = serializers.IntegerField(allow_null=True)
        trade_id = serializers.IntegerField(allow_null=True)
        withdrawal_id = serializers.IntegerField(allow_null=True, help_text="The withdrawal it belongs to.")
        note = serializers.CharField()
        time = serializers.DateTimeField(source="created_at")

    @extend_schema(
        tags=[TAG_ACCOUNT],
        operation_id="ledger_list",
        summary="My ledger",
        description="Every change of my balances, newest first, cursor-paginated (follow `next`).",
        parameters=[QuerySerializer],
        responses={
            200: OutputSerializer(many=True),
            **error_responses(
                400, 401, 403, examples={400: [(ErrorCode.ILLEGAL_PARAMETER, "asset: Unknown asset 'XYZ'.")]}
            ),
        },
    )
    def get(self, request: Request) -> Response:
        query = validated(self.QuerySerializer, request.query_params)
        entries = ledger_list(
            user=request.user,
            asset=query.get("asset"),
            reason=query.get("reason"),
            start_ms=query.get("start_time"),
            end_ms=query.get("end_time"),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class FaucetApi(APIView):
    permission_classes = (HasTradeScope,)

    @extend_schema_serializer(component_name="Faucet")
    class InputSerializer(StrictSerializer):
        asset = StrictCharField(max_length=12, help_text="An asset the faucet offers (e.g. USD, BTC, ETH).")
        amount = AmountField()
        client_request_id = StrictCharField(
            required=False,
            allow_null=True,
            validators=[REQUEST_ID],
            help_text="Makes the call idempotent (or send an `Idempotency-Key` header): a retry with the "
            "same id credits nothing and answers the same.",
        )

    @extend_schema_serializer(component_name="FaucetCredit")
    class OutputSerializer(serializers.Serializer):
        asset = serializers.CharField()
        amount = AmountOutField()
        free = AmountOutField(help_text="Free balance after the credit.")
        locked = AmountOutField()
        credited_today = AmountOutField(
            help_text="Faucet credits of this asset since 00:00 UTC, this one included."
        )
        remaining_today = AmountOutField()

    @extend_schema(
        tags=[TAG_ACCOUNT],
        operation_id="faucet_credit",
        summary="Get paper-trading funds",
        description="Credits my account (a DEPOSIT in the ledger). Capped per call and per UTC day per "
        "asset; disabled (403 -1020) on exchanges with real funds. With a `client_request_id` (or an "
        "`Idempotency-Key` header) a retry credits nothing and answers the same (header "
        "`Idempotent-Replayed: true`).",
        request=InputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                pattern=r"^[A-Za-z0-9_-]{1,50}$",
                description="Same as `client_request_id` (if both are sent they must be equal).",
            )
        ],
        responses={
            201: OutputSerializer,
            **error_responses(
                400,
                401,
                403,
                415,
                503,
                examples={
                    400: [
                        (ErrorCode.ILLEGAL_PARAMETER, "amount: At most 10000 USD per call."),
                        (ErrorCode.ILLEGAL_PARAMETER, "amount: At most 50000 USD per UTC day; 0 left today."),
                        (
                            ErrorCode.ILLEGAL_PARAMETER,
                            "asset: The faucet does not offer 'DOGE' (it offers BTC, ETH, USD).",
                        ),
                    ],
                    403: [(ErrorCode.DISABLED, "The faucet is disabled on this exchange.")],
                },
            ),
        },
        examples=[OpenApiExample("1000 USD", value={"asset": "USD", "amount": "1000"}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        credit = faucet_credit(
            user=request.user,
            asset_code=data["asset"],
            amount=data["amount"],
            request_id=faucet_request_id(
                data.get("client_request_id"), request.headers.get("Idempotency-Key")
            ),
        )
        headers = {"Idempotent-Replayed": "true"} if credit.replayed else None
        return Response(self.OutputSerializer(credit).data, status=status.HTTP_201_CREATED, headers=headers)
