"""Output serializers built once per class answer exactly what DRF's per-instance fields answer."""

import copy
from datetime import UTC
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from tests.factories import make_order
from trading.serializers import (
    CanceledOrdersOutputSerializer,
    OrderOutputSerializer,
    OrderWithFillsOutputSerializer,
)


def stock(cls: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The same declared fields on a plain DRF Serializer (fields deep-copied per instance)."""
    return type(f"Stock{cls.__name__}", (serializers.Serializer,), copy.deepcopy(cls._declared_fields))


amount = st.decimals(min_value=Decimal("0"), max_value=Decimal("92233720368"), places=8).map(
    lambda d: f"{d.normalize():f}"
)
amounts = st.none() | amount
times = st.datetimes(timezones=st.just(UTC)).map(lambda t: t.isoformat())
fills = st.lists(
    st.fixed_dictionaries(
        {"trade_id": st.integers(1, 2**63 - 1), "price": amount, "qty": amount,
         "quote_qty": amount, "fee": amount, "fee_asset": st.sampled_from(["BTC", "USD"]),
         "liquidity": st.sampled_from(["MAKER", "TAKER"]), "time": times}
    ),
    max_size=3,
)  # fmt: skip
engine_orders = st.fixed_dictionaries(
    {"id": st.integers(1, 2**63 - 1), "client_order_id": st.text("abc-_1", min_size=1, max_size=36),
     "symbol": st.just("BTC-USD"), "side": st.sampled_from(["BUY", "SELL"]),
     "type": st.sampled_from(["LIMIT", "MARKET", "STOP_LOSS_LIMIT"]), "tif": st.sampled_from(["GTC", "IOC", "FOK"]),
     "stp": st.sampled_from(["NONE", "EXPIRE_TAKER"]), "price": amounts, "stop_price": amounts, "qty": amounts,
     "quote_qty": amounts, "remaining": amount, "filled": amount,
     "quote_filled": amount, "status": st.sampled_from(["NEW", "FILLED", "CANCELED"]),
     "reason": st.sampled_from(["", "MATCHING_NO_LIQUIDITY"]), "created_at": times, "updated_at": times,
     "order_list_id": st.none() | st.integers(1, 2**63 - 1), "trailing_delta": st.none() | st.integers(1, 2000),
     "trigger_price": amounts, "triggered": st.booleans(), "triggered_at": st.none() | times,
     "fills": fills}
)  # fmt: skip


@given(order=engine_orders)
def test_an_engine_order_serializes_as_with_drfs_own_fields(order):
    for cls in (OrderOutputSerializer, OrderWithFillsOutputSerializer):
        assert cls(order).data == stock(cls)(order).data
    assert CanceledOrdersOutputSerializer({"orders": [order]}).data == {
        "orders": [stock(OrderOutputSerializer)(order).data]
    }


@pytest.mark.django_db
def test_an_order_row_serializes_as_with_drfs_own_fields(alice, btc_usd):
    order = make_order(alice, btc_usd, price=Decimal("100.5"), qty=Decimal("0.25"), remaining=Decimal("0.25"))
    order.symbol = "BTC-USD"
    assert OrderOutputSerializer(order).data == stock(OrderOutputSerializer)(order).data
    assert (
        OrderOutputSerializer([order], many=True).data
        == stock(OrderOutputSerializer)([order], many=True).data
    )


def test_the_fields_are_built_once_per_class():
    assert OrderOutputSerializer({}).fields is OrderOutputSerializer({}).fields
    assert OrderWithFillsOutputSerializer({}).fields is not OrderOutputSerializer({}).fields


def test_the_base_class_adds_nothing_to_the_openapi_schema():
    from quantx_site.serializers import OutputSerializer

    # drf-spectacular describes a component with the nearest docstring, inherited ones included.
    assert OutputSerializer.__doc__ is None
