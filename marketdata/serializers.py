"""Query and output shapes of the public market-data API (docs/market-data.md).

Outputs describe the dicts the selectors return (the same shapes as the WebSocket frames' data):
amounts are decimal strings in plain notation without trailing zeros ("50000.5", "0.25"), exactly
as the engine formats them, so a client can compare depth levels and checksums as text.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from marketdata.protocol import INTERVALS, SNAPSHOT_LEVELS
from quantx_site.serializers import StrictSerializer
from trading.models import Side

MAX_LIMIT = 1000


class IntervalField(serializers.ChoiceField):
    """A candle interval; anything else is refused with -1120 (BAD_INTERVAL), not -1100."""

    default_error_messages = {
        "bad_interval": '"{input}" is not a valid interval; use one of ' + ", ".join(INTERVALS) + "."
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=list(INTERVALS), **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or data not in INTERVALS:
            self.fail("bad_interval", input=data)
        return data


class TimeMsField(serializers.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 253_402_300_799_999)  # 9999-12-31T23:59:59.999Z
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


# ---------------------------------------------------------------------------------- queries


class DepthQuerySerializer(StrictSerializer):
    limit = serializers.IntegerField(
        required=False,
        default=100,
        min_value=1,
        max_value=SNAPSHOT_LEVELS,
        help_text="Levels per side (default 100).",
    )


class TradesQuerySerializer(StrictSerializer):
    limit = serializers.IntegerField(
        required=False, default=100, min_value=1, max_value=MAX_LIMIT, help_text="Trades (default 100)."
    )


class CandlesQuerySerializer(StrictSerializer):
    interval = IntervalField(help_text="Candle length: " + ", ".join(INTERVALS) + ".")
    start = TimeMsField(help_text="Earliest open time, ms since the Unix epoch (UTC), inclusive.")
    end = TimeMsField(help_text="Latest open time, ms since the Unix epoch (UTC), inclusive.")
    limit = serializers.IntegerField(
        required=False, default=500, min_value=1, max_value=MAX_LIMIT, help_text="Candles (default 500)."
    )


class UpdatesQuerySerializer(StrictSerializer):
    since_seq = serializers.IntegerField(
        min_value=0, max_value=2**63 - 1, help_text="The last seq your book applied (a depth seq)."
    )


# ---------------------------------------------------------------------------------- outputs


class LevelField(serializers.ListField):
    """A level: [price, quantity]."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(), min_length=2, max_length=2, **kwargs)


@extend_schema_serializer(component_name="Depth")
class DepthOutputSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    seq = serializers.IntegerField(help_text="The market sequence this book is consistent with.")
    bids = serializers.ListField(child=LevelField(), help_text="Best (highest) first.")
    asks = serializers.ListField(child=LevelField(), help_text="Best (lowest) first.")
    checksum = serializers.IntegerField(help_text="CRC32 of the top 10 levels (docs/websocket.md).")


@extend_schema_serializer(component_name="PublicTrade")
class PublicTradeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    price = serializers.CharField()
    qty = serializers.CharField()
    quote_qty = serializers.CharField()
    side = serializers.ChoiceField(choices=Side.choices, help_text="The taker's side.")
    time = serializers.IntegerField(help_text="ms since the Unix epoch (UTC).")
    seq = serializers.IntegerField(help_text="The trade's market sequence.")


@extend_schema_serializer(component_name="Ticker")
class TickerOutputSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    open = serializers.CharField(
        allow_null=True, help_text="First price of the 24 h window; null if no trade."
    )
    high = serializers.CharField(allow_null=True)
    low = serializers.CharField(allow_null=True)
    last = serializers.CharField(allow_null=True, help_text="Last trade price (even older than 24 h).")
    volume = serializers.CharField(help_text="Base volume in the window.")
    quote_volume = serializers.CharField()
    trades = serializers.IntegerField()
    change = serializers.CharField(allow_null=True, help_text="last - open.")
    change_pct = serializers.CharField(allow_null=True, help_text="(last - open) / open × 100, 2 decimals.")
    best_bid = serializers.CharField(allow_null=True)
    best_bid_qty = serializers.CharField(allow_null=True)
    best_ask = serializers.CharField(allow_null=True)
    best_ask_qty = serializers.CharField(allow_null=True)
    window_start = serializers.IntegerField(help_text="Open time of the window's first minute (ms).")
    time = serializers.IntegerField(help_text="When it was computed (ms).")


@extend_schema_serializer(component_name="BookTicker")
class BookTickerOutputSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    seq = serializers.IntegerField(help_text="The market sequence the top of the book reflects.")
    best_bid = serializers.CharField(allow_null=True, help_text="Highest bid price; null if no bids.")
    best_bid_qty = serializers.CharField(allow_null=True, help_text="Quantity resting at best_bid.")
    best_ask = serializers.CharField(allow_null=True, help_text="Lowest ask price; null if no asks.")
    best_ask_qty = serializers.CharField(allow_null=True, help_text="Quantity resting at best_ask.")


@extend_schema_serializer(component_name="ServerTime")
class ServerTimeOutputSerializer(serializers.Serializer):
    server_time = serializers.IntegerField(help_text="ms since the Unix epoch (UTC).")
    iso = serializers.CharField(help_text='The same instant in ISO 8601, UTC: "2026-12-01T17:00:00.123Z".')


@extend_schema_serializer(component_name="Candle")
class CandleOutputSerializer(serializers.Serializer):
    open_time = serializers.IntegerField(
        help_text="ms since the Unix epoch (UTC), a multiple of the interval."
    )
    close_time = serializers.IntegerField(help_text="open_time + interval - 1 ms.")
    open = serializers.CharField()
    high = serializers.CharField()
    low = serializers.CharField()
    close = serializers.CharField()
    volume = serializers.CharField()
    quote_volume = serializers.CharField()
    trades = serializers.IntegerField(help_text="0 for a gap-filled period (flat at the previous close).")


@extend_schema_serializer(component_name="UpdateTrade")
class UpdateTradeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    price = serializers.CharField()
    qty = serializers.CharField()
    side = serializers.ChoiceField(choices=Side.choices)
    time = serializers.IntegerField()
    seq = serializers.IntegerField()
    prev_seq = serializers.IntegerField(help_text="The previous trade's seq.")


@extend_schema_serializer(component_name="DepthUpdate")
class UpdateRecordSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    prev_seq = serializers.IntegerField(
        help_text="The previous update's seq: apply only onto a book at this seq."
    )
    time = serializers.IntegerField()
    bids = serializers.ListField(child=LevelField(), help_text="Changed levels, absolute quantity, 0 = gone.")
    asks = serializers.ListField(child=LevelField())
    checksum = serializers.IntegerField()
    trades = UpdateTradeSerializer(many=True)


@extend_schema_serializer(component_name="Updates")
class UpdatesOutputSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    seq = serializers.IntegerField(help_text="The latest seq of the stream.")
    updates = UpdateRecordSerializer(many=True, help_text="Oldest first.")
