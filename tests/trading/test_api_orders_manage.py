"""Reading, cancelling and amending my orders; other users' orders do not exist for me."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Balance
from engine.client import EngineUnavailable
from tests.factories import fund, make_instrument
from trading.models import Order

pytestmark = pytest.mark.django_db
ORDERS = reverse("api-orders")


def order_url(order_id):
    return reverse("api-order", args=[order_id])


def place(client, **overrides):
    body = {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": "0.500", "price": "100.00"}
    body.update(overrides)
    response = client.post(ORDERS, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def funded(alice, bob, btc_usd):
    for user in (alice, bob):
        fund(user, "USD", "10000")
        fund(user, "BTC", "10")


# -------------------------------------------------------------------------- read


def test_i_can_read_my_order_by_id_and_by_client_order_id(api, funded, engine):
    order = place(api, client_order_id="abc_1")
    by_id = api.get(order_url(order["id"]))
    by_client_id = api.get(reverse("api-order-by-client-id", args=["abc_1"]))
    assert by_id.status_code == by_client_id.status_code == 200
    assert by_id.json() == by_client_id.json()
    assert by_id.json()["client_order_id"] == "abc_1"


@pytest.mark.parametrize("order_id", ["999999", str(2**63), str(10**30)])
def test_an_unknown_or_impossible_order_id_is_minus_2013(api, funded, order_id):
    response = api.get(f"{ORDERS}{order_id}/")
    assert (response.status_code, response.json()["code"]) == (404, -2013)


def test_a_non_numeric_order_id_is_not_found(api, funded):
    response = api.get(f"{ORDERS}abc/")
    assert response.status_code == 404
    assert response.json()["code"] in (-1125, -2013)


def test_another_users_order_is_404_to_read_cancel_and_amend(api, bob_api, bob, funded, engine):
    theirs = place(bob_api, client_order_id="bobs")
    bobs_usd = Balance.objects.get(user=bob, asset__code="USD")
    responses = [
        api.get(order_url(theirs["id"])),
        api.get(reverse("api-order-by-client-id", args=["bobs"])),
        api.delete(order_url(theirs["id"])),
        api.patch(order_url(theirs["id"]), {"qty": "0.1"}, format="json"),
    ]
    assert [(r.status_code, r.json()["code"]) for r in responses] == [(404, -2013)] * 4
    assert [r.json()["msg"] for r in responses] == ["Order does not exist."] * 4
    order = Order.objects.get(id=theirs["id"])
    assert (order.status, order.remaining) == ("NEW", Decimal("0.5"))
    assert Balance.objects.get(user=bob, asset__code="USD").locked == bobs_usd.locked == Decimal("50")
    # The engine (which knows every open order's owner) refused the cancel and the amend itself.
    assert [c["op"] for c in engine.calls[-2:]] == ["cancel", "amend"]


# -------------------------------------------------------------------------- cancel


def test_cancelling_my_open_order_returns_it_canceled(api, funded, engine):
    order = place(api)
    response = api.delete(order_url(order["id"]))
    assert response.status_code == 200, response.json()
    assert (response.json()["id"], response.json()["status"]) == (order["id"], "CANCELED")
    assert api.get(order_url(order["id"])).json()["status"] == "CANCELED"


def test_cancelling_releases_the_funds_the_order_held(api, alice, funded, engine):
    order = place(api)  # holds 0.5 × 100 USD
    assert Balance.objects.get(user=alice, asset__code="USD").locked == Decimal("50")
    api.delete(order_url(order["id"]))
    usd = Balance.objects.get(user=alice, asset__code="USD")
    assert (usd.free, usd.locked) == (Decimal("10000"), Decimal("0"))


def test_cancelling_a_closed_order_is_minus_2011_order_closed(api, funded, engine):
    order = place(api)
    api.delete(order_url(order["id"]))
    response = api.delete(order_url(order["id"]))
    body = response.json()
    assert (response.status_code, body["code"], body["reason"], body["order_id"]) == (
        400,
        -2011,
        "MATCHING_ORDER_CLOSED",
        order["id"],
    )
    assert body["msg"] == f"Order {order['id']} is CANCELED; it can no longer change."
    assert Order.objects.get(id=order["id"]).status == "CANCELED"


def test_a_cancel_without_a_reply_is_503_status_unknown_with_the_order_id(api, funded, engine):
    order = place(api)
    engine.fail_with = EngineUnavailable("timeout")
    response = api.delete(order_url(order["id"]))
    assert (response.status_code, response.json()["code"], response.json()["order_id"]) == (
        503,
        -1007,
        order["id"],
    )


# -------------------------------------------------------------------------- amend


def test_amending_down_lowers_the_open_quantity_and_keeps_the_order(api, alice, funded, engine):
    order = place(api, qty="0.500")
    response = api.patch(order_url(order["id"]), {"qty": "0.2"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["status"], body["remaining"]) == (order["id"], "NEW", "0.20000000")
    assert Balance.objects.get(user=alice, asset__code="USD").locked == Decimal("20")


@pytest.mark.parametrize(
    ("qty", "status", "code", "reason"),
    [
        ("0.5", 400, -2038, "MATCHING_BAD_AMEND"),
        ("0.6", 400, -2038, "MATCHING_BAD_AMEND"),
        ("0.2005", 400, -1013, "FILTER_LOT_SIZE"),
    ],
)
def test_an_amend_that_does_not_reduce_on_the_lot_is_refused(
    api, alice, funded, engine, qty, status, code, reason
):
    order = place(api, qty="0.500")
    response = api.patch(order_url(order["id"]), {"qty": qty}, format="json")
    assert (response.status_code, response.json()["code"], response.json()["reason"]) == (
        status,
        code,
        reason,
    )
    assert response.json()["field"] == "qty"
    assert Order.objects.get(id=order["id"]).remaining == Decimal("0.5")
    assert Balance.objects.get(user=alice, asset__code="USD").locked == Decimal("50")


def test_amend_refusals_are_worded_from_the_order(api, funded, engine):
    order = place(api, qty="0.500")
    too_big = api.patch(order_url(order["id"]), {"qty": "0.5"}, format="json").json()
    off_lot = api.patch(order_url(order["id"]), {"qty": "0.0005"}, format="json").json()
    assert too_big["msg"] == "qty must be below the open quantity 0.5; an amend can only reduce an order."
    assert off_lot["msg"] == "Filter failure: FILTER_LOT_SIZE: qty 0.0005 is not a multiple of the lot 0.001."


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, -1102),
        ({"qty": "-1"}, -1100),
        ({"qty": "0.1", "price": "99"}, -1104),
        ({"status": "FILLED"}, -1104),
    ],
)
def test_an_amend_body_takes_qty_only(api, funded, engine, body, code):
    order = place(api)
    response = api.patch(order_url(order["id"]), body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, code)


def test_amending_a_closed_order_is_minus_2038_order_closed(api, funded, engine):
    order = place(api)
    api.delete(order_url(order["id"]))
    response = api.patch(order_url(order["id"]), {"qty": "0.1"}, format="json")
    assert (response.status_code, response.json()["code"], response.json()["reason"]) == (
        400,
        -2038,
        "MATCHING_ORDER_CLOSED",
    )
    assert response.json()["msg"] == f"Order {order['id']} is CANCELED; it can no longer change."


# -------------------------------------------------------------------------- cancel all


def test_cancel_all_cancels_only_my_open_orders_on_that_symbol(api, bob_api, alice, funded, engine):
    make_instrument("ETH-USD")
    fund(alice, "ETH", "10")
    mine = [place(api)["id"], place(api, side="SELL", price="200.00")["id"]]
    other_symbol = place(api, symbol="ETH-USD")["id"]
    theirs = place(bob_api)["id"]
    response = api.delete(f"{ORDERS}?symbol=BTC-USD")
    assert response.status_code == 200, response.json()
    assert sorted(o["id"] for o in response.json()["orders"]) == sorted(mine)
    assert {o["status"] for o in response.json()["orders"]} == {"CANCELED"}
    assert Order.objects.get(id=other_symbol).status == "NEW"
    assert Order.objects.get(id=theirs).status == "NEW"


def test_cancel_all_can_be_limited_to_one_side(api, funded, engine):
    buy = place(api)["id"]
    sell = place(api, side="SELL", price="200.00")["id"]
    response = api.delete(f"{ORDERS}?symbol=BTC-USD&side=SELL")
    assert [o["id"] for o in response.json()["orders"]] == [sell]
    assert Order.objects.get(id=buy).status == "NEW"


def test_cancel_all_with_nothing_open_returns_an_empty_list(api, funded, engine):
    response = api.delete(f"{ORDERS}?symbol=BTC-USD")
    assert (response.status_code, response.json()) == (200, {"orders": []})


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", -1102),
        ("?symbol=DOGE-USD", -1121),
        ("?symbol=BTC-USD&side=UP", -1100),
        ("?symbol=BTC-USD&x=1", -1104),
    ],
)
def test_cancel_all_needs_a_known_symbol_and_valid_side(api, funded, engine, query, code):
    response = api.delete(f"{ORDERS}{query}")
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert engine.calls == []


def test_unknown_query_parameters_are_refused_on_a_single_order(api, funded, engine):
    order = place(api)
    responses = [
        api.get(f"{order_url(order['id'])}?verbose=1"),
        api.delete(f"{order_url(order['id'])}?symbol=BTC-USD"),
        api.get(reverse("api-order-by-client-id", args=[order["client_order_id"]]) + "?x=1"),
    ]
    assert [(r.status_code, r.json()["code"]) for r in responses] == [(400, -1104)] * 3
    assert Order.objects.get(id=order["id"]).status == "NEW"
