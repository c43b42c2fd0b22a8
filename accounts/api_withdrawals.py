"""Withdrawals REST API (docs/api.md "Withdrawals"): request, list, read, cancel.

Views only parse, call one service or selector (accounts.withdrawals) and serialize. Reads need the
READ scope; requesting and cancelling move funds, so they need TRADE.
"""

from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import WithdrawalStatus
from accounts.serializers import StrictCharField
from accounts.throttling import WithdrawalRequestThrottle
from accounts.withdrawals import (
    withdrawal_cancel,
    withdrawal_get,
    withdrawal_list,
    withdrawal_request,
)
from quantx_site.errors import ErrorCode
from quantx_site.openapi import error_responses
from quantx_site.pagination import IdCursorPagination, PageQuerySerializer
from quantx_site.serializers import AmountField, AmountOutField, OutputSerializer, StrictSerializer, validated
from trading.api import ReadOrTradeScope
from trading.serializers import TimeOutField

TAG_WITHDRAWALS = "withdrawals"
CLIENT_WITHDRAWAL_ID = RegexValidator(
    r"^[A-Za-z0-9_-]{1,36}\Z", "1 to 36 characters: letters, digits, _ and -."
)


@extend_schema_serializer(component_name="WithdrawalRequest")
class WithdrawalInputSerializer(StrictSerializer):
    asset = StrictCharField(max_length=12, help_text="An asset code, e.g. BTC.")
    amount = AmountField(help_text="Held at once; what leaves is amount - fee. At most the asset's decimals.")
    address = StrictCharField(
        max_length=128, help_text="Where to send it (1-128 of letters, digits, . _ : -)."
    )
    client_withdrawal_id = StrictCharField(
        required=False,
        allow_null=True,
        validators=[CLIENT_WITHDRAWAL_ID],
        help_text="Your id for it, unique per account; sending it again returns the original and moves "
        "nothing. Generated (uuid4 hex) when absent.",
    )


@extend_schema_serializer(component_name="Withdrawal")
class WithdrawalOutputSerializer(OutputSerializer):
    id = serializers.IntegerField()
    client_withdrawal_id = serializers.CharField()
    asset = serializers.CharField(source="asset_code")
    amount = AmountOutField(help_text="Requested and held.")
    fee = AmountOutField(help_text="The asset's withdrawal fee when requested, taken out of the amount.")
    status = serializers.ChoiceField(choices=WithdrawalStatus.choices)
    address = serializers.CharField()
    reason = serializers.CharField(help_text="Why staff rejected it; empty otherwise.")
    created_at = TimeOutField()
    updated_at = TimeOutField()


class WithdrawalListQuerySerializer(PageQuerySerializer):
    asset = StrictCharField(required=False, max_length=12, help_text="An asset code, e.g. BTC.")
    status = serializers.ChoiceField(choices=WithdrawalStatus.choices, required=False)


_NOT_FOUND = error_responses(404, examples={404: [(ErrorCode.NOT_FOUND, "Withdrawal does not exist.")]})


class WithdrawalListApi(APIView):
    """`withdrawals/`: list mine (GET), request one (POST)."""

    permission_classes = (ReadOrTradeScope,)
    throttle_classes = (WithdrawalRequestThrottle,)
    pagination_class = IdCursorPagination

    @extend_schema(
        tags=[TAG_WITHDRAWALS],
        operation_id="withdrawals_list",
        summary="List my withdrawals",
        description="Newest first, cursor-paginated (follow `next`).",
        parameters=[WithdrawalListQuerySerializer],
        responses={200: WithdrawalOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        query = validated(WithdrawalListQuerySerializer, request.query_params)
        rows = withdrawal_list(user=request.user, asset=query.get("asset"), status_filter=query.get("status"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(WithdrawalOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=[TAG_WITHDRAWALS],
        operation_id="withdrawal_request",
        summary="Request a withdrawal",
        description="Holds the amount at once (free -> locked) and creates the withdrawal PENDING until "
        "staff complete or reject it; cancel it with DELETE while PENDING. A `client_withdrawal_id` used "
        "before returns the original with 200 and moves nothing.",
        request=WithdrawalInputSerializer,
        responses={
            201: OpenApiResponse(WithdrawalOutputSerializer, description="Requested: PENDING, amount held."),
            200: OpenApiResponse(WithdrawalOutputSerializer, description="A duplicate: the original."),
            **error_responses(
                400,
                401,
                403,
                415,
                429,
                503,
                examples={
                    400: [
                        (ErrorCode.NEW_ORDER_REJECTED, "Insufficient free balance for this withdrawal."),
                        (ErrorCode.BAD_PRECISION, "amount: At most 2 decimal places for USD."),
                        (
                            ErrorCode.FILTER_FAILURE,
                            "Filter failure: FILTER_WITHDRAWAL_MIN: the smallest BTC withdrawal is 0.001.",
                        ),
                        (ErrorCode.ILLEGAL_PARAMETER, "asset: Unknown asset 'DOGE'."),
                    ]
                },
            ),
        },
        examples=[
            OpenApiExample(
                "0.5 BTC",
                value={
                    "asset": "BTC",
                    "amount": "0.5",
                    "address": "bc1qexample",
                    "client_withdrawal_id": "w-1",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = validated(WithdrawalInputSerializer, request.data)
        result = withdrawal_request(
            user=request.user,
            asset_code=data["asset"],
            amount=data["amount"],
            address=data["address"],
            client_withdrawal_id=data.get("client_withdrawal_id"),
        )
        code = status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED
        return Response(WithdrawalOutputSerializer(result.withdrawal).data, status=code)


class WithdrawalDetailApi(APIView):
    """`withdrawals/<id>/`: read (GET), cancel while PENDING (DELETE)."""

    permission_classes = (ReadOrTradeScope,)

    @extend_schema(
        tags=[TAG_WITHDRAWALS],
        operation_id="withdrawal_get",
        summary="Get one of my withdrawals",
        responses={200: WithdrawalOutputSerializer, **error_responses(400, 401, 403), **_NOT_FOUND},
    )
    def get(self, request: Request, withdrawal_id: int) -> Response:
        validated(StrictSerializer, request.query_params)
        return Response(
            WithdrawalOutputSerializer(withdrawal_get(user=request.user, withdrawal_id=withdrawal_id)).data
        )

    @extend_schema(
        tags=[TAG_WITHDRAWALS],
        operation_id="withdrawal_cancel",
        summary="Cancel one of my PENDING withdrawals",
        description="The held amount goes back to free.",
        responses={
            200: WithdrawalOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                503,
                examples={
                    400: [(ErrorCode.CANCEL_REJECTED, "Withdrawal 7 is COMPLETED; it can no longer change.")]
                },
            ),
            **_NOT_FOUND,
        },
    )
    def delete(self, request: Request, withdrawal_id: int) -> Response:
        validated(StrictSerializer, request.query_params)
        withdrawal = withdrawal_cancel(user=request.user, withdrawal_id=withdrawal_id)
        return Response(WithdrawalOutputSerializer(withdrawal).data)
