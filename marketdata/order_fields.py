"""The stop, trailing and order-list fields of an order on the WebSocket (execution reports and the
`orders` snapshot), from an `Order` row or the worker's `OrderRecord` (same attribute names)."""

from typing import Any

from accounts.money import plain_decimal
from marketdata.candles import datetime_to_ms


def stop_and_list_fields(o: Any, list_status: str | None = None) -> dict[str, Any]:
    """`order_list_id` and `order_list_status` (null for a plain order), `trailing_delta`,
    `trigger_price` (a stop's stop price, a trailing stop's current trigger, or where it triggered),
    `triggered` and `triggered_at` (ms)."""
    return {
        "order_list_id": o.order_list_id,
        "order_list_status": list_status,
        "trailing_delta": o.trailing_delta,
        "trigger_price": plain_decimal(o.trigger_price),
        "triggered": o.triggered,
        "triggered_at": None if o.triggered_at is None else datetime_to_ms(o.triggered_at),
    }
