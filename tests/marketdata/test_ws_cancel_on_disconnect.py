"""Cancel on disconnect over the WebSocket: asked for in `auth`, it cancels the user's open orders
(reason CANCEL_ON_DISCONNECT) a grace period after their last such socket is gone, unless a new one
comes within the grace; the user's other sockets get the execution reports. The real ASGI
application and the real embedded engine (running in the test's loop, with its clock)."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from rest_framework_simplejwt.tokens import AccessToken

from marketdata.deadman import lease_keeper
from tests.marketdata.helpers import amarket, aplace
from trading.models import Order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.CANCEL_ON_DISCONNECT_GRACE_MS = 300
    settings.CANCEL_ON_DISCONNECT_LEASE_MS = 30_000


def auth(user, **extra):
    return {"op": "auth", "token": str(AccessToken.for_user(user)), "id": "a", **extra}


@database_sync_to_async
def status_of(order_id):
    order = Order.objects.get(id=order_id)
    return order.status, order.reason


async def test_the_last_socket_gone_cancels_after_the_grace_and_the_others_see_the_reports(ws):
    _, alice, bob = await amarket()
    order = (await aplace(alice, "BUY", "40000", "0.1"))["order"]["id"]
    stop = await aplace(alice, "SELL", "30000", "0.1", order_type="STOP_LOSS_LIMIT", stop_price="30000.01")
    bobs = (await aplace(bob, "BUY", "40000", "0.1"))["order"]["id"]
    watcher = await ws()
    assert (await watcher.request(auth(alice)))["event"] == "authenticated"
    await watcher.subscribe("orders")
    first, second = await ws(), await ws()
    for client in (first, second):
        answer = await client.request(auth(alice, cancel_on_disconnect=True))
        assert answer == {"event": "authenticated", "id": "a", "user": "alice", "cancel_on_disconnect": True}
    await ws_bob(ws, bob)
    await first.close()
    await asyncio.sleep(0.6)  # past the grace: the second socket still holds
    assert await status_of(order) == ("NEW", "")
    await second.close()
    reports = [await watcher.recv_until(lambda f: f["event"] == "update", timeout=5) for _ in range(2)]
    assert {(r["data"]["status"], r["data"]["reason"]) for r in reports} == {
        ("CANCELED", "CANCEL_ON_DISCONNECT")
    }
    assert {r["data"]["order_id"] for r in reports} == {order, stop["order"]["id"]}
    assert await status_of(bobs) == ("NEW", "")  # bob's socket is still open


async def ws_bob(ws, bob):
    client = await ws()
    assert (await client.request(auth(bob, cancel_on_disconnect=True)))["cancel_on_disconnect"] is True
    return client


async def test_a_new_socket_within_the_grace_disarms_it(ws):
    _, alice, _ = await amarket()
    order = (await aplace(alice, "BUY", "40000", "0.1"))["order"]["id"]
    first = await ws()
    await first.request(auth(alice, cancel_on_disconnect=True))
    await first.close()
    again = await ws()
    assert (await again.request(auth(alice, cancel_on_disconnect=True)))["cancel_on_disconnect"] is True
    await asyncio.sleep(0.6)
    assert await status_of(order) == ("NEW", "")
    assert len(lease_keeper().leases) == 1


async def test_a_socket_without_it_cancels_nothing_and_a_bad_flag_is_refused(ws):
    _, alice, _ = await amarket()
    order = (await aplace(alice, "BUY", "40000", "0.1"))["order"]["id"]
    client = await ws()
    refused = await client.request(auth(alice, cancel_on_disconnect="yes"))
    assert (refused["event"], refused["code"], refused["field"]) == ("error", -1100, "cancel_on_disconnect")
    assert (await client.request(auth(alice, cancel_on_disconnect=False))) == {
        "event": "authenticated",
        "id": "a",
        "user": "alice",
    }
    await client.close()
    await asyncio.sleep(0.6)
    assert await status_of(order) == ("NEW", "")


async def test_a_silent_socket_is_closed_and_counts_as_disconnected(ws, settings, monkeypatch):
    monkeypatch.setattr("marketdata.hub.HEARTBEAT_SECONDS", 0.1)
    settings.CANCEL_ON_DISCONNECT_SILENCE_MS = 300
    _, alice, _ = await amarket()
    order = (await aplace(alice, "BUY", "40000", "0.1"))["order"]["id"]
    client = await ws()
    await client.request(auth(alice, cancel_on_disconnect=True))
    for _ in range(4):  # answering heartbeats keeps it open
        await asyncio.sleep(0.15)
        await client.send({"op": "ping"})
    error = await client.recv_until(lambda f: f["event"] == "error", timeout=3)
    assert error["code"] == -1305
    assert (await client.ws.receive_output(timeout=1))["code"] == 4010
    for _ in range(40):
        if (await status_of(order))[0] == "CANCELED":
            break
        await asyncio.sleep(0.05)
    assert await status_of(order) == ("CANCELED", "CANCEL_ON_DISCONNECT")
