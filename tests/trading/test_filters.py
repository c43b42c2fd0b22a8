"""The checks an order passes before the engine: its shape for its type, instrument status, filters."""

from decimal import Decimal

import pytest

from quantx_site.errors import ApiError
from trading.filters import amend_qty_check, instrument_status_check, order_filters_check, order_shape_check
from trading.models import Instrument


def instrument(**overrides: object) -> Instrument:
    fields: dict[str, object] = {
        "symbol": "BTC-USD",
        "tick_size": Decimal("0.01"),
        "lot_size": Decimal("0.001"),
        "min_qty": Decimal("0.01"),
        "max_qty": Decimal("100"),
        "min_notional": Decimal("10"),
        "status": "TRADING",
    }
    fields.update(overrides)
    return Instrument(**fields)


def refusal(check, *args, **kwargs) -> dict:
    with pytest.raises(ApiError) as info:
        check(*args, **kwargs)
    exc = info.value
    return {"code": int(exc.error_code), "status": exc.status_code, **exc.extra}


def shape(**overrides):
    fields = {"type": "LIMIT", "qty": Decimal(1), "quote_qty": None, "price": Decimal(100), "stop_price": None,
              "tif": None}  # fmt: skip
    fields.update(overrides)
    return fields


def test_a_plain_limit_order_has_the_right_shape():
    order_shape_check(**shape())


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"price": None}, -1102, "price"),
        ({"type": "LIMIT_MAKER", "price": None}, -1102, "price"),
        ({"type": "STOP_LOSS_LIMIT"}, -1102, "stop_price"),
        ({"type": "TAKE_PROFIT_LIMIT", "price": None, "stop_price": Decimal(90)}, -1102, "price"),
        ({"type": "LIMIT", "stop_price": Decimal(90)}, -1106, "stop_price"),
        ({"type": "MARKET"}, -1106, "price"),
        ({"type": "MARKET", "price": None, "qty": None}, -1102, "qty"),
        ({"type": "MARKET", "price": None, "quote_qty": Decimal(50)}, -1106, "quote_qty"),
        ({"quote_qty": Decimal(50), "qty": None}, -1106, "quote_qty"),
        ({"qty": None}, -1102, "qty"),
        ({"type": "MARKET", "price": None, "tif": "IOC"}, -1106, "tif"),
        ({"type": "LIMIT_MAKER", "tif": "GTC"}, -1106, "tif"),
    ],
)
def test_each_shape_error_names_its_field_and_code(overrides, code, field):
    body = refusal(order_shape_check, **shape(**overrides))
    assert (body["code"], body["field"], body["status"]) == (code, field, 400)


def test_a_market_order_by_quote_and_a_stop_order_with_tif_are_well_formed():
    order_shape_check(**shape(type="MARKET", price=None, qty=None, quote_qty=Decimal(50)))
    order_shape_check(**shape(type="STOP_LOSS_LIMIT", stop_price=Decimal(90), tif="IOC"))


@pytest.mark.parametrize(
    ("status", "reason"), [("HALTED", "WORKER_INSTRUMENT_HALTED"), ("CANCEL_ONLY", "WORKER_CANCEL_ONLY")]
)
def test_new_orders_are_refused_unless_the_instrument_is_trading(status, reason):
    body = refusal(instrument_status_check, instrument(status=status))
    assert (body["code"], body["reason"]) == (-2010, reason)
    instrument_status_check(instrument(status="TRADING"))


def filters(**overrides):
    fields = {"qty": Decimal("0.5"), "quote_qty": None, "price": Decimal("100.00"), "stop_price": None}
    fields.update(overrides)
    return fields


def test_an_order_within_every_filter_passes():
    order_filters_check(instrument(), **filters())
    order_filters_check(instrument(), **filters(qty=Decimal("100"), price=Decimal("0.1")))


@pytest.mark.parametrize(
    ("overrides", "reason", "field"),
    [
        ({"price": Decimal("100.005")}, "FILTER_TICK_SIZE", "price"),
        ({"stop_price": Decimal("99.999")}, "FILTER_TICK_SIZE", "stop_price"),
        ({"qty": Decimal("0.0105")}, "FILTER_LOT_SIZE", "qty"),
        ({"qty": Decimal("0.009")}, "FILTER_MIN_QTY", "qty"),
        ({"qty": Decimal("100.001")}, "FILTER_MAX_QTY", "qty"),
        ({"qty": Decimal("0.099"), "price": Decimal("100")}, "FILTER_MIN_NOTIONAL", "qty"),
        ({"qty": None, "price": None, "quote_qty": Decimal("9.99")}, "FILTER_MIN_NOTIONAL", "quote_qty"),
        ({"qty": None, "price": None, "quote_qty": Decimal("10.000001")}, "FILTER_LOT_SIZE", "quote_qty"),
    ],
)
def test_each_filter_failure_is_minus_1013_with_its_reason(overrides, reason, field):
    body = refusal(order_filters_check, instrument(), **filters(**overrides))
    assert (body["code"], body["reason"], body["field"]) == (-1013, reason, field)


def test_min_notional_is_exact_at_the_boundary():
    order_filters_check(instrument(), **filters(qty=Decimal("0.1"), price=Decimal("100")))  # exactly 10


def test_a_market_order_by_qty_has_no_notional_to_check():
    order_filters_check(instrument(), **filters(price=None, qty=Decimal("0.01")))


def test_filters_never_overflow_on_the_largest_storable_amounts():
    huge = Decimal("92233720368.54775807")
    body = refusal(order_filters_check, instrument(), **filters(price=huge, qty=Decimal("1")))
    assert body["reason"] == "FILTER_TICK_SIZE"


def test_an_amend_must_reduce_the_open_quantity_on_the_lot():
    amend_qty_check(instrument(), qty=Decimal("0.2"), remaining=Decimal("0.5"))
    assert (
        refusal(amend_qty_check, instrument(), qty=Decimal("0.5"), remaining=Decimal("0.5"))["code"] == -2038
    )
    assert refusal(amend_qty_check, instrument(), qty=Decimal("0.2005"), remaining=Decimal("0.5"))[
        "reason"
    ] == ("FILTER_LOT_SIZE")
