"""Binance's official SDK follows a QuantX market stream (it connects to /stream and SUBSCRIBEs)."""

import asyncio
from typing import Any

from tests.binance_compat.conftest import Account, account_create, binance_sdk, python_binance_client
from tests.browser.conftest import LiveServer


async def test_sdk_trade_and_book_ticker_streams(live: LiveServer) -> None:
    hal: Account = await asyncio.to_thread(account_create, live.url, "sdk-hal", {"USD": "10000", "BTC": "1"})
    streams = binance_sdk(live.url).websocket_streams
    connection = await streams.create_connection()
    received: list[Any] = []
    tickers: list[Any] = []
    try:
        trades = await connection.trade(symbol="btcusd")
        trades.on("message", received.append)
        book = await connection.book_ticker(symbol="btcusd")
        book.on("message", tickers.append)
        for _ in range(100):  # the SDK does not wait for SUBSCRIBE's answer: wait for the first event
            if tickers:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.2)
        client = python_binance_client(live.url, hal)
        await asyncio.to_thread(client.order_limit_sell, symbol="BTCUSD", quantity="0.01", price="41000")
        await asyncio.to_thread(client.order_limit_buy, symbol="BTCUSD", quantity="0.01", price="41000")
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.1)
        assert received, "no trade event"
        trade = received[-1]
        assert (trade.s, trade.p, trade.q) == ("BTCUSD", "41000.00000000", "0.01000000")
        assert tickers and tickers[0].s == "BTCUSD"
    finally:
        await connection.close_connection(close_session=True)
