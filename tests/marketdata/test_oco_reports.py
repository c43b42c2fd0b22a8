"""Execution reports of OCO legs and trailing stops: the list id and status, the trailing and
trigger fields, and a triggered stop that says so (publisher frames, then a real socket)."""

import json

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from tests.engine.helpers import engine, market_with_traders, place
from tests.marketdata.helpers import amarket, aplace, engine_request


def frames(messages, key):
    return [json.loads(text)["data"] for m in messages for k, _, text in m["frames"] if k == key]


@pytest.fixture
def published(monkeypatch):
    messages = []

    async def spy(layer, message):
        messages.append(message)

    monkeypatch.setattr("marketdata.publisher.fanout_send", spy)
    return messages


def sell_oco(user, **stop):
    return engine(
        "place_oco",
        user_id=user.pk,
        symbol="BTC-USD",
        side="SELL",
        qty="0.5",
        client_list_id="L1",
        limit={"price": "52000", "client_order_id": "tp"},
        stop={"price": "47900", "client_order_id": "sl", **(stop or {"stop_price": "48000"})},
    )


@pytest.mark.django_db
def test_list_legs_report_their_list_and_its_status(published):
    _, alice, _ = market_with_traders()
    lst = sell_oco(alice)["order_list"]
    published.clear()
    engine("cancel_list", user_id=alice.pk, list_id=lst["id"])
    reports = frames(published, f"orders#{alice.pk}")
    assert [(r["client_order_id"], r["status"], r["reason"]) for r in reports] == [
        ("tp", "CANCELED", ""),
        ("sl", "CANCELED", "MATCHING_OCO_OTHER_LEG"),
    ]
    assert {(r["order_list_id"], r["order_list_status"], r["order_list_client_id"]) for r in reports} == {
        (lst["id"], "ALL_DONE", "L1")
    }


@pytest.mark.django_db
def test_a_triggered_stop_leg_says_so_and_the_other_leg_expires(published):
    _, alice, bob = market_with_traders()
    sell_oco(alice)
    place(alice, "SELL", "48000", "0.01", client_order_id="other")
    published.clear()
    place(bob, "BUY", "48000", "0.01")
    reports = {r["client_order_id"]: r for r in frames(published, f"orders#{alice.pk}")}
    stop, limit = reports["sl"], reports["tp"]
    assert (stop["triggered"], stop["trigger_price"], stop["status"]) == (True, "48000", "NEW")
    assert isinstance(stop["triggered_at"], int)
    assert (limit["status"], limit["reason"], limit["triggered"]) == (
        "EXPIRED",
        "MATCHING_OCO_OTHER_LEG",
        False,
    )
    assert stop["order_list_status"] == "EXECUTING"  # the stop leg is still open, resting at 47900


@pytest.mark.django_db
def test_a_trailing_stop_reports_its_delta_and_current_trigger(published):
    _, alice, bob = market_with_traders()
    place(alice, "SELL", "50000", "0.01")
    place(bob, "BUY", "50000", "0.01")
    published.clear()
    engine("place", user_id=alice.pk, symbol="BTC-USD", side="SELL", order_type="STOP_LOSS_LIMIT",
           price="40000", qty="0.1", trailing_delta=100, client_order_id="trail")  # fmt: skip
    [report] = frames(published, f"orders#{alice.pk}")
    assert (report["trailing_delta"], report["trigger_price"], report["triggered"]) == (100, "49500", False)
    assert (report["order_list_id"], report["order_list_status"], report["triggered_at"]) == (
        None,
        None,
        None,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.redis
async def test_a_socket_sees_list_legs_in_its_orders_snapshot_and_reports(ws):
    _, alice, bob = await amarket()
    command = {
        "op": "place_oco", "user_id": alice.pk, "symbol": "BTC-USD", "side": "SELL", "qty": "0.5",
        "client_list_id": "L1", "limit": {"price": "52000", "client_order_id": "tp"},
        "stop": {"price": "47900", "stop_price": "48000", "client_order_id": "sl"},
    }  # fmt: skip
    placed = await engine_request(command)
    client = await ws(f"/ws/v1/?token={AccessToken.for_user(alice)}")
    snaps = await client.subscribe("orders")
    snapshot = {o["client_order_id"]: o for o in snaps["orders"]["data"]}
    list_id = placed["order_list"]["id"]
    assert {(o["order_list_id"], o["order_list_status"]) for o in snapshot.values()} == {
        (list_id, "EXECUTING")
    }
    assert (snapshot["sl"]["trigger_price"], snapshot["sl"]["triggered"]) == ("48000", False)
    await aplace(bob, "BUY", "52000", "0.5")
    updates = [await client.recv_until(lambda f: f["event"] == "update") for _ in range(2)]
    by_coid = {u["data"]["client_order_id"]: u["data"] for u in updates}
    assert (by_coid["tp"]["status"], by_coid["sl"]["status"]) == ("FILLED", "EXPIRED")
    assert by_coid["sl"]["reason"] == "MATCHING_OCO_OTHER_LEG"
    assert by_coid["tp"]["order_list_status"] == "ALL_DONE"
