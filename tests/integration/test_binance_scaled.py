"""The Binance facade on the scaled stack: REST on gunicorn, WebSockets on daphne, one engine worker,
PostgreSQL and Redis. A listen key made by a gunicorn worker opens a stream on daphne (keys live in
Redis), ccxt.pro's book equals REST depth, and money is conserved afterwards."""

import asyncio
import json

import pytest
import websockets

from tests.binance_compat.conftest import (
    Follow,
    account_create,
    ccxt_binance,
    python_binance_client,
    ws_ready,
)
from tests.integration.conftest import ScaledStack

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]

SYMBOL = "BTC/USD"
TIMEOUT = 15


async def test_binance_clients_on_the_scaled_stack(stack: ScaledStack) -> None:
    rest_url, ws_url = stack.url("gunicorn"), stack.url("daphne")
    maker_t, taker_t = stack.new_traders(2, funds={"USD": "10000", "BTC": "1"}, prefix="bn-")
    maker = account_create(rest_url, maker_t.username, {}, token=maker_t.api.token)
    taker = account_create(rest_url, taker_t.username, {}, token=taker_t.api.token)
    maker_ex, taker_ex = ccxt_binance(rest_url, maker), ccxt_binance(rest_url, taker)
    pro = ccxt_binance(rest_url, taker, pro=True, ws_base=ws_url)
    listen_key = await asyncio.to_thread(python_binance_client(rest_url, maker).stream_get_listen_key)
    try:
        await pro.load_markets()
        await asyncio.to_thread(maker_ex.load_markets)
        await asyncio.to_thread(taker_ex.load_markets)
        books = Follow(lambda: pro.watch_order_book(SYMBOL))
        await books.until(lambda b: b["nonce"] is not None, TIMEOUT)
        async with websockets.connect(f"{ws_url.replace('http', 'ws')}/ws/{listen_key}") as user_stream:
            await ws_ready(user_stream)
            ask = await asyncio.to_thread(maker_ex.create_order, SYMBOL, "limit", "sell", 0.05, 31000)
            report = json.loads(await asyncio.wait_for(user_stream.recv(), TIMEOUT))
            assert report["e"] == "executionReport" and report["i"] == int(ask["id"]) and report["X"] == "NEW"

            def trade() -> dict:
                maker_ex.create_order(SYMBOL, "limit", "buy", 0.05, 29000)
                return taker_ex.create_order(SYMBOL, "market", "buy", 0.02)

            bought = await asyncio.to_thread(trade)
            assert bought["status"] == "closed" and bought["average"] == 31000.0
            rest = await asyncio.to_thread(taker_ex.fetch_order_book, SYMBOL)
            book = await books.until(lambda b: b["nonce"] >= rest["nonce"], TIMEOUT)
            books.stop()
            assert book["nonce"] == rest["nonce"]
            assert (book["bids"], book["asks"]) == (rest["bids"], rest["asks"])
            while True:
                event = json.loads(await asyncio.wait_for(user_stream.recv(), TIMEOUT))
                if event["e"] == "executionReport" and event["x"] == "TRADE":
                    break
            assert (event["i"], event["X"], event["l"], event["L"]) == (
                int(ask["id"]), "PARTIALLY_FILLED", "0.02000000", "31000.00000000")  # fmt: skip
    finally:
        await pro.close()
    verification = stack.verify_ledger()
    assert verification.returncode == 0, verification.output
