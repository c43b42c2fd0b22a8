"""A socket does not outlive its credentials (issue 12, case 7): when the JWT expires, the API key
is revoked or the browser session logs out, the private channels stop within a heartbeat with an
error frame; public channels go on and the client may authenticate again."""

import asyncio
import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.test import Client as DjangoClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.api_keys import api_key_create, api_key_revoke, signature_compute
from tests.marketdata.helpers import amarket, aplace

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_heartbeat(monkeypatch):
    monkeypatch.setattr("marketdata.hub.HEARTBEAT_SECONDS", 0.1)


def short_token(user, seconds: float) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=seconds))
    return str(token)


async def credential_ended(client, within: float = 5.0) -> dict:
    """The first error frame, within `within` seconds (heartbeats keep coming meanwhile)."""
    async with asyncio.timeout(within):
        return await client.recv_until(lambda f: f["event"] == "error")


async def assert_private_stream_stopped(client, alice, dropped: list[str]) -> None:
    error = await credential_ended(client)
    assert (error["code"], error["reason"], error["channels"]) == (-1002, "AUTH_CREDENTIAL_ENDED", dropped)
    await aplace(alice, "SELL", "50000", "0.1")
    await client.recv_until(lambda f: f.get("channel") == "trades:BTC-USD" or f["event"] == "heartbeat")
    refused = await client.request({"op": "subscribe", "channels": ["orders"], "id": 77})
    assert (refused["event"], refused["code"]) == ("error", -1002)
    frames = []
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        frames.append(await client.recv())  # heartbeats every 0.1 s
    assert not [f for f in frames if f.get("channel") in ("orders", "balances")], frames


async def test_an_expired_jwt_stops_the_private_streams(ws):
    _, alice, _ = await amarket()
    client = await ws(f"/ws/v1/?token={short_token(alice, 1.5)}")
    await client.subscribe("orders", "balances", "ticker:BTC-USD")
    await assert_private_stream_stopped(client, alice, ["balances", "orders"])
    fresh = await client.request({"op": "auth", "token": str(AccessToken.for_user(alice)), "id": "re"})
    assert fresh["event"] == "authenticated"
    assert "orders" in await client.subscribe("orders", request_id=5)


async def test_a_revoked_api_key_stops_the_private_streams(ws):
    _, alice, _ = await amarket()
    created = await database_sync_to_async(api_key_create)(user=alice, scopes=["READ"])
    timestamp = str(time.time_ns() // 1_000_000)
    signature = signature_compute(secret=created.secret, payload=f"{timestamp}GET/ws/v1/".encode())
    client = await ws()
    auth = {"op": "auth", "api_key": created.api_key.key, "timestamp": timestamp, "signature": signature}
    assert (await client.request({**auth, "id": 1}))["event"] == "authenticated"
    await client.subscribe("orders", request_id=2)
    for _ in range(3):  # heartbeats only, while the key is valid
        assert (await client.recv())["event"] == "heartbeat"
    await database_sync_to_async(api_key_revoke)(user=alice, key_id=created.api_key.pk)
    await assert_private_stream_stopped(client, alice, ["orders"])


async def test_a_logged_out_browser_session_stops_the_private_streams(ws):
    _, alice, _ = await amarket()
    browser = DjangoClient()

    def login() -> str:
        browser.force_login(alice)
        return browser.cookies["sessionid"].value

    cookie = await database_sync_to_async(login)()
    client = await ws(
        headers=[(b"cookie", f"sessionid={cookie}".encode()), (b"origin", b"http://testserver")]
    )
    await client.subscribe("orders")
    await database_sync_to_async(browser.logout)()
    await assert_private_stream_stopped(client, alice, ["orders"])
