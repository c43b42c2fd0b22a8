"""Input and output shapes of the trading API.

Input serializers are strict (an unknown or read-only field is refused, -1104) and parse amounts
exactly (`AmountField`). Output serializers read either a model row or the engine's reply dicts
(same field names), and write every amount as a string with exactly 8 decimals (`AmountOutField`).
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers

from accounts.serializers import StrictCharField
from quantx_site.errors import ErrorCode
from quantx_site.openapi import ErrorSerializer
from quantx_site.pagination import PageQuerySerializer
from quantx_site.serializers import AmountField, AmountOutField, OutputSerializer, StrictSerializer
from quantx_site.time_range import TimeRangeQueryMixin
from trading.models import (
    OPEN_STATUSES,
    InstrumentStatus,
    OrderStatus,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
)

CLIENT_ORDER_ID = RegexValidator(r"^[A-Za-z0-9_-]{1,36}\Z", "1 to 36 characters: letters, digits, _ and -.")
STATUS_FILTERS = {
    "open": tuple(OPEN_STATUSES),
    "closed": tuple(s for s in OrderStatus.values if s not in OPEN_STATUSES),
    **{s: (s,) for s in OrderStatus.values},
}
LIQUIDITY = ["MAKER", "TAKER"]


class TimeOutField(serializers.DateTimeField):
    """A time on the way out (ISO 8601, UTC, "Z"), from a datetime or the engine's ISO string."""

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return super().to_representation(value)


# ---------------------------------------------------------------------------------- input


@extend_schema_serializer(component_name="OrderPlace")
class OrderPlaceInputSerializer(StrictSerializer):
    symbol = StrictCharField(max_length=20, help_text="e.g. BTC-USD")
    side = serializers.ChoiceField(choices=Side.choices)
    type = serializers.ChoiceField(choices=OrderType.choices)
    qty = AmountField(required=False, allow_null=True, help_text="Base quantity, a multiple of the lot.")
    quote_qty = AmountField(
        required=False,
        allow_null=True,
        help_text="MARKET only, instead of qty: the quote amount to spend/receive.",
    )
    price = AmountField(
        required=False, allow_null=True, help_text="Limit price, a multiple of the tick. Not for MARKET."
    )
    stop_price = AmountField(
        required=False,
        allow_null=True,
        help_text="STOP_LOSS_LIMIT / TAKE_PROFIT_LIMIT only: the trigger price.",
    )
    tif = serializers.ChoiceField(
        choices=TimeInForce.choices,
        required=False,
        allow_null=True,
        help_text="Default GTC. Not accepted for MARKET and LIMIT_MAKER.",
    )
    stp = serializers.ChoiceField(
        choices=SelfTradePrevention.choices,
        default=SelfTradePrevention.NONE.value,
        help_text="Self-trade prevention.",
    )
    client_order_id = StrictCharField(
        required=False,
        allow_null=True,
        validators=[CLIENT_ORDER_ID],
        help_text="Your id for the order, unique per account; sending it again returns the original order. "
        "Generated (uuid4 hex) when absent.",
    )
    trailing_delta = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="STOP_LOSS_LIMIT only, instead of stop_price: a trailing stop, 1 to 2000 basis points "
        "behind the best trade price since it was placed (else -1013 FILTER_TRAILING_DELTA).",
    )


def order_place_kwargs(data: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of `order_place` / `order_test` from OrderPlaceInputSerializer's data."""
    return {
        "symbol": data["symbol"],
        "side": data["side"],
        "order_type": data["type"],
        "qty": data.get("qty"),
        "quote_qty": data.get("quote_qty"),
        "price": data.get("price"),
        "stop_price": data.get("stop_price"),
        "tif": data.get("tif"),
        "stp": data["stp"],
        "client_order_id": data.get("client_order_id"),
        "trailing_delta": data.get("trailing_delta"),
    }


@extend_schema_serializer(component_name="OrderAmend")
class OrderAmendInputSerializer(StrictSerializer):
    qty = AmountField(help_text="The new open quantity (`remaining`): below the current one, on the lot.")


class OrderListQuerySerializer(TimeRangeQueryMixin, PageQuerySerializer):
    symbol = StrictCharField(required=False, max_length=20)
    status = serializers.ChoiceField(
        choices=list(STATUS_FILTERS),
        required=False,
        help_text="`open` (NEW, PARTIALLY_FILLED), `closed` (the others) or one exact status.",
    )
    side = serializers.ChoiceField(choices=Side.choices, required=False)

    def validate_status(self, value: str) -> tuple[str, ...]:
        return STATUS_FILTERS[value]


class OrderCancelAllQuerySerializer(StrictSerializer):
    symbol = StrictCharField(max_length=20, help_text="Required: cancels on this symbol only.")
    side = serializers.ChoiceField(choices=Side.choices, required=False)


class TradeListQuerySerializer(TimeRangeQueryMixin, PageQuerySerializer):
    symbol = StrictCharField(required=False, max_length=20)
    order_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


# ---------------------------------------------------------------------------------- output


@extend_schema_serializer(component_name="Fill")
class FillOutputSerializer(OutputSerializer):
    trade_id = serializers.IntegerField()
    price = AmountOutField()
    qty = AmountOutField()
    quote_qty = AmountOutField()
    fee = AmountOutField()
    fee_asset = serializers.CharField(
        help_text="The asset you received: base when buying, quote when selling."
    )
    liquidity = serializers.ChoiceField(choices=LIQUIDITY)
    time = TimeOutField()


@extend_schema_serializer(component_name="Order")
class OrderOutputSerializer(OutputSerializer):
    id = serializers.IntegerField()
    client_order_id = serializers.CharField()
    symbol = serializers.CharField()
    side = serializers.ChoiceField(choices=Side.choices)
    type = serializers.ChoiceField(choices=OrderType.choices)
    tif = serializers.ChoiceField(choices=TimeInForce.choices)
    stp = serializers.ChoiceField(choices=SelfTradePrevention.choices)
    price = AmountOutField(allow_null=True)
    stop_price = AmountOutField(allow_null=True)
    qty = AmountOutField(allow_null=True, help_text="Null for a MARKET order by quote_qty.")
    quote_qty = AmountOutField(allow_null=True)
    remaining = AmountOutField(help_text="Base quantity still open.")
    filled = AmountOutField()
    quote_filled = AmountOutField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    reason = serializers.CharField(help_text="Why REJECTED or EXPIRED (docs/api.md, Reasons); else empty.")
    created_at = TimeOutField()
    updated_at = TimeOutField()
    order_list_id = serializers.IntegerField(allow_null=True, help_text="The OCO list of this order (a leg).")
    trailing_delta = serializers.IntegerField(allow_null=True, help_text="A trailing stop's basis points.")
    trigger_price = AmountOutField(
        allow_null=True,
        help_text="A stop's trigger price: its stop_price, or a trailing stop's current one (null before "
        "the symbol's first trade); once triggered, the price it triggered at.",
    )
    triggered = serializers.BooleanField(help_text="A stop order that has triggered (and entered the book).")
    triggered_at = TimeOutField(allow_null=True, help_text="When the stop triggered.")


@extend_schema_serializer(component_name="OrderWithFills")
class OrderWithFillsOutputSerializer(OrderOutputSerializer):
    fills = FillOutputSerializer(
        many=True, read_only=True, default=list, help_text="Trades made by this request."
    )


@extend_schema_serializer(component_name="CanceledOrders")
class CanceledOrdersOutputSerializer(OutputSerializer):
    orders = OrderOutputSerializer(many=True)


@extend_schema_serializer(component_name="MyTrade")
class MyTradeOutputSerializer(OutputSerializer):
    """A trade seen from my side (trading.selectors.Fill)."""

    trade_id = serializers.IntegerField()
    order_id = serializers.IntegerField(help_text="My order that traded.")
    symbol = serializers.CharField()
    side = serializers.ChoiceField(choices=Side.choices, help_text="My side of the trade.")
    price = AmountOutField()
    qty = AmountOutField()
    quote_qty = AmountOutField()
    fee = AmountOutField()
    fee_asset = serializers.CharField(help_text="The asset I received: base when buying, quote when selling.")
    liquidity = serializers.ChoiceField(choices=LIQUIDITY)
    time = TimeOutField()


@extend_schema_serializer(component_name="Position")
class PositionOutputSerializer(OutputSerializer):
    symbol = serializers.CharField()
    qty = AmountOutField(help_text="Net base quantity bought minus sold.")
    avg_price = AmountOutField()
    realized_pnl = AmountOutField(help_text="In the quote asset.")
    last_price = AmountOutField(
        allow_null=True, help_text="Last trade price of the symbol; null if none yet."
    )
    unrealized_pnl = AmountOutField(
        allow_null=True, help_text="(last_price − avg_price) × qty in quote, rounded half-even to 8 places."
    )
    updated_at = TimeOutField()


@extend_schema_serializer(component_name="Instrument")
class InstrumentOutputSerializer(OutputSerializer):
    symbol = serializers.CharField()
    base = serializers.CharField(source="base.code")
    quote = serializers.CharField(source="quote.code")
    tick_size = AmountOutField()
    lot_size = AmountOutField()
    min_qty = AmountOutField()
    max_qty = AmountOutField()
    min_notional = AmountOutField(help_text="Smallest price × qty (or quote_qty), in quote.")
    maker_fee = AmountOutField(help_text="Rate, e.g. 0.00100000 = 0.1%.")
    taker_fee = AmountOutField()
    status = serializers.ChoiceField(choices=InstrumentStatus.choices)


@extend_schema_serializer(component_name="OrderError")
class OrderErrorSerializer(ErrorSerializer):
    """The `Error` shape with the order it is about, when there is one."""

    order_id = serializers.IntegerField(required=False, help_text="The order refused or acted on.")
    client_order_id = serializers.CharField(required=False, help_text="Look the order up with it (-1007).")


def order_error_responses(
    status_code: int, description: str, examples: list[tuple[ErrorCode, str, dict[str, Any]]]
) -> dict[int, OpenApiResponse]:
    """An error response whose body may name the order (`OrderError`), with examples."""
    return {
        status_code: OpenApiResponse(
            response=OrderErrorSerializer,
            description=description,
            examples=[
                OpenApiExample(
                    f"{code.name} ({int(code)}){' ' + extra['reason'] if 'reason' in extra else ''}",
                    value={"code": int(code), "msg": msg, **extra},
                    status_codes=[str(status_code)],
                    response_only=True,
                )
                for code, msg, extra in examples
            ],
        )
    }


ENGINE_UNAVAILABLE_RESPONSES = order_error_responses(
    503,
    "The engine did not answer in time (-1007: outcome unknown, look the order up) or is busy "
    "(-1008: nothing was done, retry).",
    [
        (
            ErrorCode.STATUS_UNKNOWN,
            "Order status unknown: the engine did not answer in time. Look the order up by client_order_id "
            "before sending it again (with the same client_order_id).",
            {"client_order_id": "my-order-1"},
        ),
        (ErrorCode.SERVER_BUSY, "The engine is busy; nothing was done. Retry shortly.", {}),
    ],
)
