"""python-binance's socket manager on QuantX: a market stream (/ws/<stream>), the user socket
(python-binance 1.0.37 subscribes through the WebSocket API, /ws-api/v3), and the listen-key user
stream (/ws/<listenKey>) that older bots open themselves."""

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
import websockets

from tests.binance_compat.conftest import (
    Account,
    account_create,
    http_json,
    python_binance_async,
    python_binance_client,
    ws_ready,
)
from tests.browser.conftest import LiveServer

TIMEOUT = 10


@pytest.fixture(scope="module")
def fay(live: LiveServer) -> Account:
    return account_create(live.url, "pbws-fay", {"USD": "10000", "ETH": "10"})


@pytest.fixture(scope="module")
def gus(live: LiveServer) -> Account:
    return account_create(live.url, "pbws-gus", {"USD": "10000", "ETH": "10"})


async def next_event(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        event = await asyncio.wait_for(socket.recv(), TIMEOUT)
        assert event.get("e") != "error", event
        if event.get("e") == kind:
            return event  # type: ignore[no-any-return]


async def test_trade_socket_and_user_socket(live: LiveServer, fay: Account, gus: Account) -> None:
    maker = python_binance_client(live.url, fay)
    taker, manager = await python_binance_async(live.url, gus)
    trades, user = manager.trade_socket("ETHUSD"), manager.user_socket()
    try:
        await trades.__aenter__()
        await user.__aenter__()  # answered once the user-data subscription is live
        await asyncio.sleep(1)  # the trade socket (python-binance gives no way to know it is live)
        await asyncio.to_thread(maker.order_limit_sell, symbol="ETHUSD", quantity="0.5", price="1500")
        bought = await taker.order_limit_buy(symbol="ETHUSD", quantity="0.5", price="1500")
        trade = await next_event(trades, "trade")
        assert (trade["s"], trade["p"], trade["q"], trade["m"]) == (
            "ETHUSD",
            "1500.00000000",
            "0.50000000",
            False,
        )
        report = await next_event(user, "executionReport")
        assert report["i"] == bought["orderId"] and report["X"] == "FILLED" and report["x"] == "TRADE"
        assert (report["l"], report["L"], report["z"], report["Z"]) == (
            "0.50000000", "1500.00000000", "0.50000000", "750.00000000")  # fmt: skip
        position = await next_event(user, "outboundAccountPosition")
        usd = next(b for b in position["B"] if b["a"] == "USD")
        assert Decimal(usd["f"]) == Decimal(10000) - Decimal(750)
    finally:
        # python-binance's sockets wait up to 10 s for their read loop to notice a close: close both at once.
        await user.__aexit__(None, None, None)
        await asyncio.gather(trades.__aexit__(None, None, None), taker.close_connection())


async def test_listen_key_stream(live: LiveServer, fay: Account) -> None:
    client, _ = await python_binance_async(live.url, fay)
    try:
        listen_key = await client.stream_get_listen_key()
        url = f"{live.url.replace('http://', 'ws://')}/ws/{listen_key}"
        async with websockets.connect(url) as ws:
            await ws_ready(ws)
            placed = await client.order_limit_buy(symbol="ETHUSD", quantity="0.1", price="1000")
            events = [json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)) for _ in range(2)]
            assert [e["e"] for e in events] == ["executionReport", "outboundAccountPosition"]
            assert events[0]["i"] == placed["orderId"] and events[0]["x"] == "NEW" and events[0]["X"] == "NEW"
            http_json(f"{live.url}/api/v1/faucet/", {"asset": "USD", "amount": "25"}, token=fay.token)
            deposit = [json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)) for _ in range(2)]
            assert deposit[0] == {**deposit[0], "e": "balanceUpdate", "a": "USD", "d": "25.00000000"}
            assert deposit[1]["e"] == "outboundAccountPosition"
            await client.stream_close(listen_key)
            expired = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))  # at the next hub tick (5 s)
            assert expired == {**expired, "e": "listenKeyExpired", "listenKey": listen_key}
            with pytest.raises(websockets.ConnectionClosedOK):
                await asyncio.wait_for(ws.recv(), TIMEOUT)
        async with websockets.connect(url) as ws:  # a closed key is just a plain connection
            await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 7}))
            assert json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)) == {"result": [], "id": 7}
    finally:
        await client.close_connection()
