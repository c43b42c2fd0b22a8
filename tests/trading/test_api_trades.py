"""GET /api/v1/trades/: my fills, each from my side of the trade."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import fund, make_instrument, make_order, make_trade

pytestmark = pytest.mark.django_db
URL = reverse("api-trades")


@pytest.fixture
def trade(alice, bob, btc_usd):
    """Alice (taker) buys 0.5 BTC at 100 from Bob's resting sell (maker)."""
    maker = make_order(bob, btc_usd, side="SELL", status="FILLED", remaining="0")
    taker = make_order(alice, btc_usd, side="BUY", status="FILLED", remaining="0")
    return make_trade(
        taker, maker, price="100", qty="0.5", taker_fee=Decimal("0.001"), maker_fee=Decimal("0.05")
    )


def test_the_taker_sees_its_side_of_the_trade(api, trade):
    [row] = api.get(URL).json()["results"]
    assert row == {
        "trade_id": trade.id,
        "order_id": trade.taker_order_id,
        "symbol": "BTC-USD",
        "side": "BUY",
        "price": "100.00000000",
        "qty": "0.50000000",
        "quote_qty": "50.00000000",
        "fee": "0.00100000",
        "fee_asset": "BTC",
        "liquidity": "TAKER",
        "time": row["time"],
    }
    assert row["time"].endswith("Z")


def test_the_maker_sees_the_other_side_with_its_fee_in_quote(bob_api, trade):
    [row] = bob_api.get(URL).json()["results"]
    assert (row["order_id"], row["side"], row["liquidity"]) == (trade.maker_order_id, "SELL", "MAKER")
    assert (row["fee"], row["fee_asset"]) == ("0.05000000", "USD")


def test_someone_elses_trade_is_not_listed(trade, db):
    from rest_framework.test import APIClient

    from tests.factories import make_user

    client = APIClient()
    client.force_authenticate(make_user("carol"))
    assert client.get(URL).json()["results"] == []


def test_a_self_trade_shows_both_of_my_sides(api, alice, btc_usd):
    maker = make_order(alice, btc_usd, side="SELL", status="FILLED", remaining="0")
    taker = make_order(alice, btc_usd, side="BUY", status="FILLED", remaining="0")
    make_trade(taker, maker, price="100", qty="0.5")
    rows = api.get(URL).json()["results"]
    assert [(r["liquidity"], r["side"], r["order_id"]) for r in rows] == [
        ("TAKER", "BUY", taker.id),
        ("MAKER", "SELL", maker.id),
    ]
    only_maker_order = api.get(URL, {"order_id": maker.id}).json()["results"]
    assert [r["liquidity"] for r in only_maker_order] == ["MAKER"]


def test_filters_by_symbol_and_order(api, alice, bob, trade):
    eth = make_instrument("ETH-USD")
    eth_trade = make_trade(
        make_order(alice, eth, status="FILLED", remaining="0"),
        make_order(bob, eth, side="SELL", status="FILLED", remaining="0"),
        price="10",
        qty="1",
    )
    assert [r["trade_id"] for r in api.get(URL, {"symbol": "ETH-USD"}).json()["results"]] == [eth_trade.id]
    assert [r["trade_id"] for r in api.get(URL, {"order_id": trade.taker_order_id}).json()["results"]] == [
        trade.id
    ]
    assert api.get(URL, {"order_id": trade.maker_order_id}).json()["results"] == []  # Bob's order


@pytest.mark.parametrize(
    ("query", "code"), [({"symbol": "NOPE"}, -1121), ({"order_id": "x"}, -1100), ({"order_id": "0"}, -1100)]
)
def test_bad_filters_are_400(api, trade, query, code):
    response = api.get(URL, query)
    assert (response.status_code, response.json()["code"]) == (400, code)


def test_trades_are_paginated_newest_first(api, alice, bob, btc_usd):
    made = []
    for _ in range(5):
        maker = make_order(bob, btc_usd, side="SELL", status="FILLED", remaining="0")
        taker = make_order(alice, btc_usd, status="FILLED", remaining="0")
        made.append(make_trade(taker, maker, price="100", qty="0.1").id)
    first = api.get(URL, {"limit": 2}).json()
    second = api.get(first["next"]).json()
    assert [r["trade_id"] for r in first["results"] + second["results"]] == sorted(made, reverse=True)[:4]


def test_listing_trades_takes_a_constant_number_of_queries(
    api, alice, bob, btc_usd, django_assert_max_num_queries
):
    for _ in range(20):
        maker = make_order(bob, btc_usd, side="SELL", status="FILLED", remaining="0")
        taker = make_order(alice, btc_usd, status="FILLED", remaining="0")
        make_trade(taker, maker, price="100", qty="0.1")
    with django_assert_max_num_queries(2):
        response = api.get(URL, {"limit": 100})
    assert len(response.json()["results"]) == 20


def test_a_placed_order_that_trades_lists_its_fills(api, bob_api, alice, bob, btc_usd, engine):
    fund(bob, "BTC", "1")
    fund(alice, "USD", "1000")
    bob_api.post(reverse("api-orders"), {"symbol": "BTC-USD", "side": "SELL", "type": "LIMIT", "qty": "0.5",
                                         "price": "100"}, format="json")  # fmt: skip
    placed = api.post(
        reverse("api-orders"),
        {"symbol": "BTC-USD", "side": "BUY", "type": "MARKET", "qty": "0.2"},
        format="json",
    ).json()
    assert placed["status"] == "FILLED"
    [fill] = placed["fills"]
    assert (fill["qty"], fill["price"], fill["liquidity"], fill["fee_asset"]) == (
        "0.20000000",
        "100.00000000",
        "TAKER",
        "BTC",
    )
    [row] = api.get(URL).json()["results"]
    assert (row["trade_id"], row["order_id"], row["fee"]) == (fill["trade_id"], placed["id"], fill["fee"])
