"""Binance's stream methods and refusals over a real WebSocket (/ws, /stream, /ws-api/v3)."""

import asyncio
import hashlib
import hmac
import json
import time
import urllib.request
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
import websockets

from tests.binance_compat.conftest import Account, account_create
from tests.browser.conftest import LiveServer

TIMEOUT = 10


def http_get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def ivy(live: LiveServer) -> Account:
    return account_create(live.url, "proto-ivy", {"USD": "100"})


async def ask(ws: Any, message: Any) -> dict[str, Any]:
    await ws.send(message if isinstance(message, str) else json.dumps(message))
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))  # type: ignore[no-any-return]


async def test_methods_and_refusals(live: LiveServer) -> None:
    async with websockets.connect(f"{live.url.replace('http', 'ws')}/ws") as ws:
        assert await ask(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {"result": [], "id": 1}
        assert await ask(ws, "{not json") == {"error": {"code": 3, "msg": "Invalid JSON."}, "id": None}
        refused = await ask(ws, {"method": "SUBSCRIBE", "params": ["btcusd@nonsense"], "id": 2})
        assert refused["error"]["code"] == 2 and refused["id"] == 2
        refused = await ask(ws, {"method": "SUBSCRIBE", "params": ["btcusd@kline_2m"], "id": 3})
        assert refused["error"]["code"] == 2
        refused = await ask(ws, {"method": "SUBSCRIBE", "params": ["dogeusd@trade"], "id": 4})
        assert refused["error"]["code"] == 2
        assert (await ask(ws, {"method": "FLY", "id": 5}))["error"]["code"] == 2
        assert (await ask(ws, {"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 6}))["error"][
            "code"
        ] == 1
        assert await ask(ws, {"method": "SET_PROPERTY", "params": ["combined", True], "id": 7}) == {
            "result": None,
            "id": 7,
        }
        assert await ask(ws, {"method": "SUBSCRIBE", "params": ["btcusd@bookTicker"], "id": 8}) == {
            "result": None,
            "id": 8,
        }
        wrapped = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert wrapped["stream"] == "btcusd@bookTicker" and wrapped["data"]["s"] == "BTCUSD"
        assert await ask(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 9}) == {
            "result": ["btcusd@bookTicker"],
            "id": 9,
        }
        assert await ask(ws, {"method": "UNSUBSCRIBE", "params": ["btcusd@bookTicker"], "id": 10}) == {
            "result": None, "id": 10}  # fmt: skip
        assert await ask(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 11}) == {"result": [], "id": 11}


def signed(account: Account, **params: Any) -> dict[str, Any]:
    params = {"apiKey": account.key, "timestamp": time.time_ns() // 1_000_000, **params}
    payload = urlencode(sorted((k, str(v)) for k, v in params.items()))
    return {
        **params,
        "signature": hmac.new(account.secret.encode(), payload.encode(), hashlib.sha256).hexdigest(),
    }


async def test_ws_api_user_data_subscription_checks_the_signature(live: LiveServer, ivy: Account) -> None:
    async with websockets.connect(f"{live.url.replace('http', 'ws')}/ws-api/v3") as ws:
        assert (await ask(ws, {"id": "t", "method": "time"}))["result"]["serverTime"] > 0
        tampered = {**signed(ivy), "timestamp": 1}
        refused = await ask(ws, {"id": 1, "method": "userDataStream.subscribe.signature", "params": tampered})
        assert refused["status"] == 400 and refused["error"]["code"] == -1021
        bad = {**signed(ivy), "signature": "0" * 64}
        refused = await ask(ws, {"id": 2, "method": "userDataStream.subscribe.signature", "params": bad})
        assert (refused["status"], refused["error"]["code"]) == (400, -1022)
        unknown = await ask(ws, {"id": 3, "method": "order.place", "params": {}})
        assert unknown["status"] == 400 and unknown["id"] == 3
        ok = await ask(ws, {"id": 4, "method": "userDataStream.subscribe.signature", "params": signed(ivy)})
        assert ok["status"] == 200 and isinstance(ok["result"]["subscriptionId"], int)


async def test_binances_local_order_book_procedure_never_loses_or_doubles_an_update(live: LiveServer) -> None:
    """Binance's documented procedure, by hand: open the diff stream, buffer, GET depth, drop events
    with u <= lastUpdateId, start at the event with U <= lastUpdateId + 1 <= u, then require each
    U = previous u + 1, while two users trade; the book ends equal to REST depth."""
    from tests.binance_compat.conftest import python_binance_client

    jay = await asyncio.to_thread(account_create, live.url, "proto-jay", {"BTC": "1", "ETH": "10"})
    client = python_binance_client(live.url, jay)
    stop = asyncio.Event()

    def trade(steps: range) -> None:
        for n in steps:
            client.order_limit_sell(symbol="ETHBTC", quantity="0.1", price=f"{0.08 + n * 0.001:.3f}")
            client.order_limit_buy(symbol="ETHBTC", quantity="0.05", price=f"{0.081 + n * 0.001:.3f}")

    def rest_depth() -> dict[str, Any]:
        return http_get(f"{live.url}/api/v3/depth?symbol=ETHBTC&limit=1000")

    async with websockets.connect(f"{live.url.replace('http', 'ws')}/ws/ethbtc@depth@100ms") as ws:
        buffered: list[dict[str, Any]] = []

        async def read() -> None:
            while not stop.is_set():
                try:
                    buffered.append(json.loads(await asyncio.wait_for(ws.recv(), 0.5)))
                except TimeoutError:
                    continue

        reader = asyncio.create_task(read())
        trading = asyncio.create_task(asyncio.to_thread(trade, range(6)))
        await asyncio.sleep(0.2)
        snapshot = await asyncio.to_thread(rest_depth)  # while trading, or just after
        await trading
        await asyncio.to_thread(trade, range(6, 12))  # surely after the snapshot
        final = await asyncio.to_thread(rest_depth)
        while not buffered or buffered[-1]["u"] < final["lastUpdateId"]:
            await asyncio.sleep(0.05)
        stop.set()
        await reader

    book = {side: {p: q for p, q in snapshot[side]} for side in ("bids", "asks")}
    last = snapshot["lastUpdateId"]
    events = [e for e in buffered if e["u"] > last]
    assert events and events[0]["U"] <= last + 1 <= events[0]["u"]
    for event in events:
        assert event["U"] == last + 1 or event is events[0]
        for side, key in (("bids", "b"), ("asks", "a")):
            for price, qty in event[key]:
                if Decimal(qty) == 0:
                    book[side].pop(price, None)
                else:
                    book[side][price] = qty
        last = event["u"]
    assert last == final["lastUpdateId"]
    ordered = {
        "bids": sorted(book["bids"].items(), key=lambda lv: -Decimal(lv[0])),
        "asks": sorted(book["asks"].items(), key=lambda lv: Decimal(lv[0])),
    }
    assert ordered == {side: [tuple(lv) for lv in final[side]] for side in ("bids", "asks")}
