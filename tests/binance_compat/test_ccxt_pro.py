"""ccxt.pro's `binance`, unchanged but for its URLs, follows QuantX over Binance's WebSocket streams
(/ws/<n> + SUBSCRIBE) and the WebSocket API's user-data subscription (/ws-api/v3)."""

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest

from tests.binance_compat.conftest import Account, Follow, account_create, ccxt_binance
from tests.browser.conftest import LiveServer

T = TypeVar("T")
SYMBOL = "ETH/BTC"
TIMEOUT = 10


async def within(awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, TIMEOUT)


@pytest.fixture(scope="module")
def dana(live: LiveServer) -> Account:
    return account_create(live.url, "pro-dana", {"BTC": "1", "ETH": "10"})


@pytest.fixture(scope="module")
def eli(live: LiveServer) -> Account:
    return account_create(live.url, "pro-eli", {"BTC": "1", "ETH": "10"})


async def test_watch_order_book_equals_rest_depth_after_trading(
    live: LiveServer, dana: Account, eli: Account
) -> None:
    pro = ccxt_binance(live.url, dana, pro=True)
    maker, taker = ccxt_binance(live.url, dana), ccxt_binance(live.url, eli)
    try:
        await pro.load_markets()
        await asyncio.to_thread(maker.load_markets)
        await asyncio.to_thread(taker.load_markets)
        books = Follow(lambda: pro.watch_order_book(SYMBOL))
        await books.until(lambda b: b["nonce"] is not None)

        def trade() -> None:
            for n in range(5):
                maker.create_order(SYMBOL, "limit", "sell", 0.5, 0.05 + n * 0.001)
                maker.create_order(SYMBOL, "limit", "buy", 0.5, 0.049 - n * 0.001)
            taker.create_order(SYMBOL, "market", "buy", 0.7)
            taker.create_order(SYMBOL, "limit", "sell", 0.2, 0.049)
            maker.cancel_order(maker.fetch_open_orders(SYMBOL)[-1]["id"], SYMBOL)

        await asyncio.to_thread(trade)
        rest = await asyncio.to_thread(taker.fetch_order_book, SYMBOL)
        book = await books.until(lambda b: b["nonce"] >= rest["nonce"])
        books.stop()
        assert book["nonce"] == rest["nonce"]
        assert book["bids"] == rest["bids"] and book["asks"] == rest["asks"]
        assert book["asks"][0] == [0.051, 0.3] and book["bids"][0] == [0.049, 0.3]
    finally:
        await pro.close()


async def test_watch_trades_ticker_and_candles(live: LiveServer, dana: Account, eli: Account) -> None:
    pro = ccxt_binance(live.url, pro=True)
    maker, taker = ccxt_binance(live.url, dana), ccxt_binance(live.url, eli)
    try:
        await pro.load_markets()
        await asyncio.to_thread(maker.load_markets)
        await asyncio.to_thread(taker.load_markets)
        tickers = Follow(lambda: pro.watch_ticker(SYMBOL))
        await tickers.until(lambda t: t["symbol"] == SYMBOL)  # the snapshot, sent on subscribing
        trades = Follow(lambda: pro.watch_trades(SYMBOL))
        candles = Follow(lambda: pro.watch_ohlcv(SYMBOL, "1m"))
        await asyncio.sleep(1)  # ccxt gives no way to know its new streams are live

        def trade() -> None:
            for exchange in (maker, taker):  # an empty book, so the trade is at 0.06
                exchange.cancel_all_orders(SYMBOL)
            maker.create_order(SYMBOL, "limit", "sell", 0.1, 0.06)
            taker.create_order(SYMBOL, "limit", "buy", 0.1, 0.06)

        await asyncio.to_thread(trade)
        trade_list = await trades.until(lambda ts: ts[-1]["price"] == 0.06)
        assert trade_list[-1]["amount"] == 0.1 and trade_list[-1]["side"] == "buy"
        ticker = await tickers.until(lambda t: t["last"] == 0.06)
        assert ticker["ask"] is None or ticker["ask"] != 0.06
        ohlcv = await candles.until(lambda c: c[-1][4] == 0.06)
        assert ohlcv[-1][5] >= 0.1
        for follow in (tickers, trades, candles):
            follow.stop()
    finally:
        await pro.close()


async def test_watch_orders_balance_and_my_trades(live: LiveServer, dana: Account, eli: Account) -> None:
    pro = ccxt_binance(live.url, eli, pro=True)
    maker, taker = ccxt_binance(live.url, dana), ccxt_binance(live.url, eli)
    try:
        await pro.load_markets()
        await asyncio.to_thread(maker.load_markets)
        await asyncio.to_thread(taker.load_markets)
        orders = Follow(lambda: pro.watch_orders(SYMBOL))
        balances = Follow(lambda: pro.watch_balance())
        my_trades = Follow(lambda: pro.watch_my_trades(SYMBOL))
        await asyncio.sleep(1)
        ask: dict[str, Any] = await asyncio.to_thread(maker.create_order, SYMBOL, "limit", "sell", 0.2, 0.07)
        bid = await asyncio.to_thread(taker.create_order, SYMBOL, "limit", "buy", 0.3, 0.07)
        seen = await orders.until(lambda os: any(o["id"] == bid["id"] and o["filled"] == 0.2 for o in os))
        mine = next(o for o in seen if o["id"] == bid["id"])
        assert mine["status"] == "open" and mine["remaining"] == pytest.approx(0.1)
        assert mine["cost"] == pytest.approx(0.014) and mine["price"] == 0.07
        assert all(o["id"] != ask["id"] for o in seen)  # only the user's own orders
        total = await asyncio.to_thread(taker.fetch_balance)
        balance = await balances.until(
            lambda b: b["ETH"]["free"] == total["ETH"]["free"] and b["BTC"]["used"] == total["BTC"]["used"]
        )
        assert balance["BTC"]["used"] == pytest.approx(0.007)
        fills = await my_trades.until(lambda ts: any(t["order"] == bid["id"] for t in ts))
        fill = next(t for t in fills if t["order"] == bid["id"])
        assert (fill["price"], fill["amount"], fill["side"], fill["takerOrMaker"]) == (
            0.07,
            0.2,
            "buy",
            "taker",
        )
        for follow in (orders, balances, my_trades):
            follow.stop()
    finally:
        await pro.close()
