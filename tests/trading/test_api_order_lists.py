"""The order-list (OCO) API and trailing stops over REST: placement, reads, cancel, bad input."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Balance
from tests.engine.helpers import place
from tests.factories import fund
from trading.models import Order, OrderList

pytestmark = pytest.mark.django_db
URL = reverse("api-order-list-oco")
LISTS = reverse("api-order-lists")


def sell_oco(**overrides):
    body = {
        "symbol": "BTC-USD",
        "side": "SELL",
        "qty": "0.5",
        "above_type": "LIMIT_MAKER",
        "above_price": "52000",
        "below_type": "STOP_LOSS_LIMIT",
        "below_stop_price": "48000",
        "below_price": "47900",
        "client_list_id": "list-1",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def buy_oco(**overrides):
    body = {
        "symbol": "BTC-USD",
        "side": "BUY",
        "qty": "0.5",
        "above_type": "STOP_LOSS_LIMIT",
        "above_stop_price": "52000",
        "above_price": "52100",
        "below_type": "LIMIT_MAKER",
        "below_price": "48000",
    }
    body.update(overrides)
    return body


@pytest.fixture
def funded(alice, btc_usd, engine):
    fund(alice, "USD", "100000")
    fund(alice, "BTC", "10")
    return alice


def locked(user, code):
    return Balance.objects.get(user=user, asset__code=code).locked


def test_placing_a_sell_list_answers_it_with_both_legs_and_holds_once(api, funded):
    response = api.post(URL, sell_oco(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["client_list_id"], body["symbol"]) == ("EXECUTING", "list-1", "BTC-USD")
    limit, stop = body["orders"]
    assert (limit["type"], limit["price"], limit["order_list_id"]) == (
        "LIMIT_MAKER",
        "52000.00000000",
        body["id"],
    )
    assert (stop["type"], stop["trigger_price"], stop["triggered"], stop["triggered_at"]) == (
        "STOP_LOSS_LIMIT",
        "48000.00000000",
        False,
        None,
    )
    assert locked(funded, "BTC") == Decimal("0.5")
    # read back: one list, its legs, and the legs in the orders list with their list id
    assert api.get(reverse("api-order-list", args=[body["id"]])).json()["orders"][1]["id"] == stop["id"]
    page = api.get(LISTS, {"status": "open"}).json()
    assert [lst["id"] for lst in page["results"]] == [body["id"]]
    orders = api.get(reverse("api-orders")).json()["results"]
    assert {o["order_list_id"] for o in orders} == {body["id"]}


def test_a_buy_list_with_a_trailing_stop_leg(api, funded):
    body = {k: v for k, v in buy_oco(above_trailing_delta=150).items() if k != "above_stop_price"}
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    stop = response.json()["orders"][1]
    assert (stop["trailing_delta"], stop["stop_price"], stop["trigger_price"]) == (150, None, None)


def test_the_same_client_list_id_returns_the_original_with_200(api, funded):
    first = api.post(URL, sell_oco(), format="json").json()
    again = api.post(URL, sell_oco(above_price="53000"), format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first["id"] and again.json()["orders"][0]["price"] == "52000.00000000"
    assert OrderList.objects.count() == 1


def test_cancelling_a_list_cancels_both_legs_and_again_is_refused(api, funded):
    body = api.post(URL, sell_oco(), format="json").json()
    url = reverse("api-order-list", args=[body["id"]])
    response = api.delete(url)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ALL_DONE"
    assert [o["status"] for o in response.json()["orders"]] == ["CANCELED", "CANCELED"]
    assert locked(funded, "BTC") == 0
    again = api.delete(url)
    assert again.status_code == 400
    assert (again.json()["code"], again.json()["reason"]) == (-2011, "MATCHING_ORDER_LIST_CLOSED")


def test_another_users_list_does_not_exist_for_me(api, bob_api, funded):
    body = api.post(URL, sell_oco(), format="json").json()
    url = reverse("api-order-list", args=[body["id"]])
    for response in (bob_api.get(url), bob_api.delete(url)):
        assert response.status_code == 404
        assert response.json()["code"] == -2013
    assert bob_api.get(LISTS).json()["results"] == []
    assert OrderList.objects.get().status == "EXECUTING"


def test_a_list_whose_limit_leg_would_take_is_stored_rejected_and_answered_2010(api, bob, funded):
    fund(bob, "USD", "100000")
    place(bob, "BUY", "52000", "0.1")
    response = api.post(URL, sell_oco(), format="json")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["reason"]) == (-2010, "MATCHING_WOULD_TAKE")
    assert OrderList.objects.get(pk=body["order_list_id"]).status == "REJECTED"
    assert locked(funded, "BTC") == 0


BAD_INPUTS = [
    ({"above_price": "47000"}, -1013, "FILTER_OCO_PRICES"),  # SELL: the limit must be above the stop
    ({"below_stop_price": "53000"}, -1013, "FILTER_OCO_PRICES"),
    ({"above_type": "STOP_LOSS_LIMIT"}, -1100, None),
    ({"below_type": "LIMIT_MAKER"}, -1100, None),
    ({"below_stop_price": ..., "below_trailing_delta": 0}, -1013, "FILTER_TRAILING_DELTA"),
    ({"below_stop_price": ..., "below_trailing_delta": 2001}, -1013, "FILTER_TRAILING_DELTA"),
    ({"below_stop_price": ..., "below_trailing_delta": "1.5"}, -1100, None),
    ({"below_stop_price": ..., "below_trailing_delta": 1.5}, -1100, None),
    ({"below_trailing_delta": 100}, -1106, None),  # both stop_price and trailing_delta
    ({"below_stop_price": ...}, -1102, None),
    ({"above_price": ...}, -1102, None),
    ({"above_stop_price": "50000"}, -1106, None),  # a LIMIT_MAKER takes no stop price
    ({"above_tif": "IOC"}, -1106, None),
    ({"price": "50000"}, -1104, None),  # unknown field
    ({"above": {"price": "1"}}, -1104, None),
    ({"above_price": "52000.000000001"}, -1111, None),
    ({"above_price": "52000.001"}, -1013, "FILTER_TICK_SIZE"),
    ({"qty": "0.0005"}, -1013, "FILTER_LOT_SIZE"),
    ({"symbol": "DOGE-USD"}, -1121, None),
    ({"side": "HOLD"}, -1100, None),
    ({"above_client_order_id": "x", "below_client_order_id": "x"}, -1100, None),
    ({"client_list_id": "bad id!"}, -1100, None),
    ({"qty": "100"}, -2010, "RISK_INSUFFICIENT_FUNDS"),
]


@pytest.mark.parametrize(("overrides", "code", "reason"), BAD_INPUTS)
def test_bad_input_is_refused_with_a_code_and_changes_nothing(api, funded, overrides, code, reason):
    response = api.post(URL, sell_oco(**overrides), format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == code, body
    if reason is not None:
        assert body["reason"] == reason
    assert not OrderList.objects.exists() and not Order.objects.exists()
    assert locked(funded, "BTC") == 0


@pytest.mark.parametrize(
    ("overrides", "code", "reason"),
    [
        ({"trailing_delta": 0}, -1013, "FILTER_TRAILING_DELTA"),
        ({"trailing_delta": 2001}, -1013, "FILTER_TRAILING_DELTA"),
        ({"trailing_delta": "ten"}, -1100, None),
        ({"trailing_delta": 100, "stop_price": "48000"}, -1106, None),
        ({"trailing_delta": 100, "type": "LIMIT"}, -1106, None),
    ],
)
def test_a_trailing_stop_order_with_bad_input_is_refused(api, funded, overrides, code, reason):
    body = {"symbol": "BTC-USD", "side": "SELL", "type": "STOP_LOSS_LIMIT", "qty": "0.1", "price": "40000"}
    body.update(overrides)
    if body["type"] == "LIMIT":
        body.pop("stop_price", None)
    response = api.post(reverse("api-orders"), body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    if reason is not None:
        assert response.json()["reason"] == reason
    assert not Order.objects.exists()


def test_a_trailing_stop_order_is_placed_and_shows_its_fields(api, funded):
    body = {
        "symbol": "BTC-USD",
        "side": "SELL",
        "type": "STOP_LOSS_LIMIT",
        "qty": "0.1",
        "price": "40000",
        "trailing_delta": 250,
    }
    response = api.post(reverse("api-orders"), body, format="json")
    assert response.status_code == 201, response.json()
    order = response.json()
    assert (order["trailing_delta"], order["stop_price"], order["triggered"], order["order_list_id"]) == (
        250,
        None,
        False,
        None,
    )
    assert api.get(reverse("api-order", args=[order["id"]])).json()["trailing_delta"] == 250


def test_lists_are_paginated_newest_first_and_filtered(api, funded):
    ids = [
        api.post(URL, sell_oco(client_list_id=f"l{i}", qty="0.1"), format="json").json()["id"]
        for i in range(3)
    ]
    api.delete(reverse("api-order-list", args=[ids[0]]))
    first = api.get(LISTS, {"limit": 2}).json()
    assert [lst["id"] for lst in first["results"]] == [ids[2], ids[1]]
    second = api.get(first["next"]).json()
    assert [lst["id"] for lst in second["results"]] == [ids[0]] and second["next"] is None
    assert [lst["id"] for lst in api.get(LISTS, {"status": "closed"}).json()["results"]] == [ids[0]]
    assert [lst["id"] for lst in api.get(LISTS, {"status": "EXECUTING"}).json()["results"]] == [
        ids[2],
        ids[1],
    ]
    assert api.get(LISTS, {"symbol": "DOGE-USD"}).json()["code"] == -1121
    assert api.get(LISTS, {"sort": "id"}).json()["code"] == -1104
    assert api.get(LISTS, {"cursor": "nonsense"}).json()["code"] == -1100


def test_a_trailing_stop_can_be_tested_like_a_place(api, funded):
    body = {"symbol": "BTC-USD", "side": "SELL", "type": "STOP_LOSS_LIMIT", "qty": "0.1", "price": "40000"}
    ok = api.post(reverse("api-order-test"), {**body, "trailing_delta": 250}, format="json")
    assert ok.status_code == 200, ok.json()
    bad = api.post(reverse("api-order-test"), {**body, "trailing_delta": 0}, format="json")
    assert (bad.status_code, bad.json()["reason"]) == (400, "FILTER_TRAILING_DELTA")
    assert not Order.objects.exists()


def test_lists_filter_by_time_range(api, funded):
    body = api.post(URL, sell_oco(), format="json").json()
    placed_ms = int(OrderList.objects.get(pk=body["id"]).created_at.timestamp() * 1000)
    assert [lst["id"] for lst in api.get(LISTS, {"start_time": placed_ms}).json()["results"]] == [body["id"]]
    assert api.get(LISTS, {"end_time": placed_ms - 1}).json()["results"] == []
    assert api.get(LISTS, {"start_time": 5, "end_time": 4}).json()["code"] == -1100
