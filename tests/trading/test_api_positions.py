"""GET /api/v1/positions/: my positions marked to the last trade price."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import make_instrument, make_order, make_position, make_trade
from trading.positions import unrealized_pnl

pytestmark = pytest.mark.django_db
URL = reverse("api-positions")


def last_trade(instrument, buyer, seller, price):
    taker = make_order(buyer, instrument, status="FILLED", remaining="0")
    maker = make_order(seller, instrument, side="SELL", status="FILLED", remaining="0")
    return make_trade(taker, maker, price=price, qty="0.001")


@pytest.mark.parametrize(
    ("qty", "avg", "last", "expected"),
    [
        ("2", "100", "110", "20"),
        ("2", "100", "90", "-20"),
        ("-1.5", "100", "90", "15"),
        ("0", "100", "90", "0"),
        ("0.001", "30000.01", "30000.02", "0.00001"),
    ],
)
def test_unrealized_pnl_is_last_minus_average_times_qty(qty, avg, last, expected):
    pnl = unrealized_pnl(qty=Decimal(qty), avg_price=Decimal(avg), last_price=Decimal(last))
    assert pnl == Decimal(expected)


def test_unrealized_pnl_is_unknown_before_the_first_trade():
    assert unrealized_pnl(qty=Decimal(1), avg_price=Decimal(1), last_price=None) is None


def test_positions_are_marked_to_the_latest_trade_of_their_symbol(api, alice, bob, btc_usd):
    eth = make_instrument("ETH-USD")
    make_position(alice, btc_usd, qty="0.5", avg_price="100", realized_pnl="7.5")
    make_position(alice, eth, qty="3", avg_price="20")
    last_trade(btc_usd, bob, bob, "90")
    last_trade(btc_usd, bob, bob, "104.02")  # the latest
    rows = api.get(URL).json()
    assert rows == [
        {"symbol": "BTC-USD", "qty": "0.50000000", "avg_price": "100.00000000", "realized_pnl": "7.50000000",
         "last_price": "104.02000000", "unrealized_pnl": "2.01000000", "updated_at": rows[0]["updated_at"]},
        {"symbol": "ETH-USD", "qty": "3.00000000", "avg_price": "20.00000000", "realized_pnl": "0.00000000",
         "last_price": None, "unrealized_pnl": None, "updated_at": rows[1]["updated_at"]},
    ]  # fmt: skip


def test_unrealized_pnl_is_rounded_half_even_to_eight_places(api, alice, bob, btc_usd):
    make_position(alice, btc_usd, qty="0.00000001", avg_price="100.00000001")
    last_trade(btc_usd, bob, bob, "100.5")  # (100.5 - 100.00000001) × 1e-8 = 0.0000000049999999
    assert api.get(URL).json()[0]["unrealized_pnl"] == "0.00000000"


def test_i_see_only_my_positions(api, bob, btc_usd):
    make_position(bob, btc_usd, qty="1", avg_price="100")
    assert api.get(URL).json() == []


def test_positions_take_one_query_whatever_their_number(api, alice, bob, django_assert_max_num_queries):
    for symbol in ("BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD"):
        instrument = make_instrument(symbol)
        make_position(alice, instrument, qty="1", avg_price="10")
        last_trade(instrument, bob, bob, "11")
    with django_assert_max_num_queries(1):
        assert len(api.get(URL).json()) == 4


def test_positions_take_no_query_parameters(api, alice):
    response = api.get(URL, {"symbol": "BTC-USD"})
    assert (response.status_code, response.json()["code"]) == (400, -1104)
