"""Input and output shapes of the order-list (OCO) API, strict like the order serializers."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.serializers import StrictCharField
from quantx_site.pagination import PageQuerySerializer
from quantx_site.serializers import AmountField, OutputSerializer, StrictSerializer
from quantx_site.time_range import TimeRangeQueryMixin
from trading.models import OrderListStatus, SelfTradePrevention, Side, TimeInForce
from trading.serializers import (
    CLIENT_ORDER_ID,
    OrderOutputSerializer,
    OrderWithFillsOutputSerializer,
    TimeOutField,
)

LEG_TYPES = ["LIMIT_MAKER", "STOP_LOSS_LIMIT"]


def _leg_fields(where: str) -> dict[str, serializers.Field]:
    return {
        f"{where}_type": serializers.ChoiceField(
            choices=LEG_TYPES,
            help_text=f"SELL: {'LIMIT_MAKER' if where == 'above' else 'STOP_LOSS_LIMIT'}; "
            f"BUY: {'STOP_LOSS_LIMIT' if where == 'above' else 'LIMIT_MAKER'}.",
        ),
        f"{where}_price": AmountField(required=False, allow_null=True, help_text="The leg's limit price."),
        f"{where}_stop_price": AmountField(
            required=False,
            allow_null=True,
            help_text="STOP_LOSS_LIMIT leg: the trigger price (or trailing_delta).",
        ),
        f"{where}_trailing_delta": serializers.IntegerField(
            required=False,
            allow_null=True,
            help_text="STOP_LOSS_LIMIT leg, instead of stop_price: 1 to 2000 basis points (a trailing stop).",
        ),
        f"{where}_tif": serializers.ChoiceField(
            choices=TimeInForce.choices,
            required=False,
            allow_null=True,
            help_text="STOP_LOSS_LIMIT leg; default GTC.",
        ),
        f"{where}_client_order_id": StrictCharField(
            required=False, allow_null=True, validators=[CLIENT_ORDER_ID], help_text="Your id for this leg."
        ),
    }


@extend_schema_serializer(component_name="OcoPlace")
class OcoPlaceInputSerializer(StrictSerializer):
    symbol = StrictCharField(max_length=20, help_text="e.g. BTC-USD")
    side = serializers.ChoiceField(choices=Side.choices)
    qty = AmountField(help_text="Base quantity of each leg, a multiple of the lot.")
    stp = serializers.ChoiceField(
        choices=SelfTradePrevention.choices, default=SelfTradePrevention.NONE.value, help_text="Both legs."
    )
    client_list_id = StrictCharField(
        required=False,
        allow_null=True,
        validators=[CLIENT_ORDER_ID],
        help_text="Your id for the list, unique per account; sending it again returns the original list.",
    )
    above_type, above_price, above_stop_price, above_trailing_delta, above_tif, above_client_order_id = (
        _leg_fields("above").values()
    )
    below_type, below_price, below_stop_price, below_trailing_delta, below_tif, below_client_order_id = (
        _leg_fields("below").values()
    )


class OrderListsQuerySerializer(TimeRangeQueryMixin, PageQuerySerializer):
    symbol = StrictCharField(required=False, max_length=20)
    status = serializers.ChoiceField(
        choices=["open", "closed", *OrderListStatus.values],
        required=False,
        help_text="`open` (EXECUTING), `closed` (ALL_DONE, REJECTED) or one exact status.",
    )

    def validate_status(self, value: str) -> list[str]:
        if value == "open":
            return [OrderListStatus.EXECUTING]
        if value == "closed":
            return [OrderListStatus.ALL_DONE, OrderListStatus.REJECTED]
        return [value]


@extend_schema_serializer(component_name="OrderList")
class OrderListOutputSerializer(OutputSerializer):
    id = serializers.IntegerField()
    client_list_id = serializers.CharField()
    symbol = serializers.CharField()
    status = serializers.ChoiceField(
        choices=OrderListStatus.choices,
        help_text="EXECUTING while a leg is open, ALL_DONE once both ended, REJECTED if rejected at placement.",
    )
    created_at = TimeOutField()
    updated_at = TimeOutField()
    orders = OrderOutputSerializer(
        many=True, help_text="The two legs: the LIMIT_MAKER, then the STOP_LOSS_LIMIT."
    )


@extend_schema_serializer(component_name="OrderListWithFills")
class OrderListWithFillsOutputSerializer(OrderListOutputSerializer):
    orders = OrderWithFillsOutputSerializer(
        many=True, help_text="The two legs, with the trades this request made."
    )
