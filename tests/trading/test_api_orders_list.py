"""GET /api/v1/orders/: only my orders, newest first, filtered, cursor-paginated, in constant queries."""

import base64

import pytest
from django.urls import reverse

from tests.factories import make_instrument, make_order

pytestmark = pytest.mark.django_db
URL = reverse("api-orders")


def ids(response):
    assert response.status_code == 200, response.json()
    return [o["id"] for o in response.json()["results"]]


def test_i_see_only_my_orders_newest_first(api, alice, bob, btc_usd):
    first = make_order(alice, btc_usd)
    make_order(bob, btc_usd)
    second = make_order(alice, btc_usd)
    assert ids(api.get(URL)) == [second.id, first.id]


def test_list_rows_have_the_order_shape(api, alice, btc_usd):
    make_order(alice, btc_usd, client_order_id="c1", qty="0.5", remaining="0.5", price="123.45")
    row = api.get(URL).json()["results"][0]
    assert row["symbol"] == "BTC-USD"
    assert (row["client_order_id"], row["qty"], row["price"]) == ("c1", "0.50000000", "123.45000000")
    assert "fills" not in row


def test_filters_by_symbol_status_and_side(api, alice, btc_usd):
    eth = make_instrument("ETH-USD")
    new_buy = make_order(alice, btc_usd)
    partial_sell = make_order(alice, btc_usd, side="SELL", status="PARTIALLY_FILLED")
    filled = make_order(alice, btc_usd, status="FILLED", remaining="0")
    canceled = make_order(alice, btc_usd, status="CANCELED", remaining="0")
    eth_order = make_order(alice, eth)
    assert ids(api.get(URL, {"symbol": "ETH-USD"})) == [eth_order.id]
    assert ids(api.get(URL, {"symbol": "BTC-USD", "status": "open"})) == [partial_sell.id, new_buy.id]
    assert ids(api.get(URL, {"status": "closed"})) == [canceled.id, filled.id]
    assert ids(api.get(URL, {"status": "FILLED"})) == [filled.id]
    assert ids(api.get(URL, {"side": "SELL"})) == [partial_sell.id]


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"symbol": "DOGE-USD"}, -1121, "symbol"),
        ({"status": "OPEN"}, -1100, "status"),
        ({"status": "working"}, -1100, "status"),
        ({"side": "buy"}, -1100, "side"),
        ({"limit": "0"}, -1100, "limit"),
        ({"limit": "501"}, -1100, "limit"),
        ({"limit": "ten"}, -1100, "limit"),
        ({"cursor": "garbage"}, -1100, "cursor"),
        ({"cursor": base64.b64encode(b"p=abc").decode()}, -1100, "cursor"),
        ({"cursor": base64.b64encode(b"p=99999999999999999999999").decode()}, -1100, "cursor"),
        ({"cursor": base64.b64encode(b"o=-1").decode()}, -1100, "cursor"),
        ({"page": "2"}, -1104, "page"),
    ],
)
def test_bad_filter_values_are_400_with_a_code(api, alice, btc_usd, query, code, field):
    make_order(alice, btc_usd)
    response = api.get(URL, query)
    assert response.status_code == 400, response.json()
    assert (response.json()["code"], response.json()["field"]) == (code, field)


def test_pages_follow_next_links_without_gaps_or_repeats(api, alice, btc_usd):
    orders = [make_order(alice, btc_usd).id for _ in range(7)]
    seen, url, pages = [], f"{URL}?limit=3", 0
    while url:
        body = api.get(url).json()
        seen += [o["id"] for o in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == sorted(orders, reverse=True)
    assert pages == 3


def test_a_previous_link_goes_back_a_page(api, alice, btc_usd):
    for _ in range(5):
        make_order(alice, btc_usd)
    first = api.get(URL, {"limit": 2}).json()
    second = api.get(first["next"]).json()
    assert first["previous"] is None
    assert api.get(second["previous"]).json()["results"] == first["results"]


def test_the_default_page_is_50_orders(api, alice, btc_usd):
    for _ in range(51):
        make_order(alice, btc_usd)
    body = api.get(URL).json()
    assert len(body["results"]) == 50
    assert body["next"] is not None


def test_listing_takes_a_constant_number_of_queries(api, alice, btc_usd, django_assert_max_num_queries):
    eth = make_instrument("ETH-USD")
    for i in range(30):
        make_order(alice, btc_usd if i % 2 else eth)
    with django_assert_max_num_queries(3):
        response = api.get(URL, {"symbol": "BTC-USD", "limit": 500})
    assert len(response.json()["results"]) == 15


def test_anonymous_clients_cannot_list_orders(db):
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code == 401
