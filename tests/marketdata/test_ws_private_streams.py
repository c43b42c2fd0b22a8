"""Private `orders` and `balances` streams: authentication first, and only my own data."""

import time

import pytest
from channels.db import database_sync_to_async
from django.test import Client as DjangoClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.api_keys import api_key_create, signature_compute
from marketdata.models import StreamSeq
from tests.marketdata.helpers import acancel, amarket, aplace

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


def token_for(user) -> str:
    return str(AccessToken.for_user(user))


async def test_private_channels_need_authentication(ws):
    await amarket()
    client = await ws()
    reply = await client.request({"op": "subscribe", "channels": ["orders"], "id": 1})
    assert (reply["event"], reply["code"]) == ("error", -1002)


async def test_a_jwt_in_the_query_string_authenticates_and_i_see_only_my_orders(ws):
    _, alice, bob = await amarket()
    client = await ws(f"/ws/v1/?token={token_for(alice)}")
    snaps = await client.subscribe("orders")
    assert snaps["orders"] == {"event": "snapshot", "channel": "orders", "seq": 0, "data": []}
    await aplace(bob, "BUY", "40000", "0.1")  # not mine
    mine = await aplace(alice, "SELL", "50000", "0.5")
    report = await client.recv_until(lambda f: f["event"] == "update")
    assert report["seq"] == 1 and report["prev_seq"] == 0
    assert report["data"]["order_id"] == mine["order"]["id"]
    assert (report["data"]["status"], report["data"]["remaining"]) == ("NEW", "0.5")
    await aplace(bob, "BUY", "50000", "0.2")
    fill = await client.recv_until(lambda f: f["event"] == "update")
    assert (fill["seq"], fill["prev_seq"]) == (2, 1)
    data = fill["data"]
    assert (data["status"], data["filled"], data["last_qty"], data["last_price"]) == (
        "PARTIALLY_FILLED", "0.2", "0.2", "50000",
    )  # fmt: skip
    assert (data["fee"], data["fee_asset"], data["fills"][0]["liquidity"]) == ("10", "USD", "MAKER")
    assert data["trade_id"] is not None
    await acancel(alice, mine["order"]["id"])
    canceled = await client.recv_until(lambda f: f["event"] == "update")
    assert (canceled["seq"], canceled["data"]["status"]) == (3, "CANCELED")
    assert await client.nothing()  # bob's orders never show


async def test_a_bad_token_is_refused_but_the_connection_stays_public(ws):
    await amarket()
    client = await ws("/ws/v1/?token=not-a-jwt")
    error = await client.recv()
    assert (error["event"], error["code"]) == ("error", -1002)
    assert "depth:BTC-USD" in await client.subscribe("depth:BTC-USD")


async def test_auth_op_with_a_jwt(ws):
    _, alice, _ = await amarket()
    client = await ws()
    reply = await client.request({"op": "auth", "token": token_for(alice), "id": "a"})
    assert reply == {"event": "authenticated", "id": "a", "user": "alice"}
    again = await client.request({"op": "auth", "token": token_for(alice), "id": "b"})
    assert again["code"] == -1304


async def test_auth_op_with_a_signed_api_key(ws):
    _, alice, _ = await amarket()
    created = await database_sync_to_async(api_key_create)(user=alice, label="bot", scopes=["READ"])
    timestamp = str(time.time_ns() // 1_000_000)
    signature = signature_compute(secret=created.secret, payload=f"{timestamp}GET/ws/v1/".encode())
    client = await ws()
    bad = await client.request(
        {"op": "auth", "api_key": created.api_key.key, "timestamp": timestamp, "signature": "0" * 64, "id": 1}
    )
    assert bad["code"] == -1022
    reply = await client.request(
        {
            "op": "auth",
            "api_key": created.api_key.key,
            "timestamp": timestamp,
            "signature": signature,
            "id": 2,
        }
    )
    assert reply["event"] == "authenticated"
    snaps = await client.subscribe("balances", request_id=3)
    assert {b["asset"]: b["free"] for b in snaps["balances"]["data"]} == {"BTC": "10", "USD": "100000"}


async def test_an_api_key_without_the_read_scope_is_refused(ws):
    _, alice, _ = await amarket()
    created = await database_sync_to_async(api_key_create)(user=alice, scopes=["TRADE"])
    timestamp = str(time.time_ns() // 1_000_000)
    signature = signature_compute(secret=created.secret, payload=f"{timestamp}GET/ws/v1/".encode())
    client = await ws()
    reply = await client.request(
        {
            "op": "auth",
            "api_key": created.api_key.key,
            "timestamp": timestamp,
            "signature": signature,
            "id": 1,
        }
    )
    assert reply["code"] == -2015


async def test_the_browser_session_authenticates(ws):
    _, alice, _ = await amarket()

    def session_cookie() -> str:
        browser = DjangoClient()
        browser.force_login(alice)
        return browser.cookies["sessionid"].value

    cookie = await database_sync_to_async(session_cookie)()
    client = await ws(
        headers=[(b"cookie", f"sessionid={cookie}".encode()), (b"origin", b"http://testserver")]
    )
    assert "orders" in await client.subscribe("orders")


async def test_a_foreign_origin_is_refused(hub_cleanup):
    from channels.testing import WebsocketCommunicator

    from quantx_site.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/v1/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_balances_stream_carries_new_free_and_locked_with_a_contiguous_seq(ws):
    _, alice, _ = await amarket()
    client = await ws(f"/ws/v1/?token={token_for(alice)}")
    snap = (await client.subscribe("balances"))["balances"]
    await aplace(alice, "BUY", "40000", "1")
    update = await client.recv_until(lambda f: f["event"] == "update")
    assert update["prev_seq"] == snap["seq"]
    assert update["data"] == [{"asset": "USD", "free": "60000", "locked": "40000"}]
    seqs = await database_sync_to_async(lambda: StreamSeq.objects.get(user=alice).balances_seq)()
    assert seqs == update["seq"]
