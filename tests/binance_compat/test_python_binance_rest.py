"""python-binance's `Client`, pointed at QuantX, runs a bot's usual REST calls over /api/v3/."""

from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from tests.binance_compat.conftest import Account, account_create, api_v1, python_binance_client
from tests.browser.conftest import LiveServer

D = Decimal


@pytest.fixture(scope="module")
def alice(live: LiveServer) -> Account:
    return account_create(live.url, "pb-alice", {"USD": "10000", "ETH": "10"})


@pytest.fixture(scope="module")
def bob(live: LiveServer) -> Account:
    return account_create(live.url, "pb-bob", {"USD": "10000", "ETH": "10"})


def test_public_market_data(live: LiveServer) -> None:
    client = python_binance_client(live.url)
    assert client.ping() == {}
    assert abs(client.get_server_time()["serverTime"] - client.get_server_time()["serverTime"]) < 5000
    info = client.get_symbol_info("ETHUSD")
    assert info["baseAsset"] == "ETH" and info["quoteAsset"] == "USD"
    assert {f["filterType"] for f in info["filters"]} >= {"PRICE_FILTER", "LOT_SIZE", "NOTIONAL"}
    assert client.get_exchange_info()["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"
    with pytest.raises(BinanceAPIException) as refused:
        client.get_order_book(symbol="NOPE")
    assert refused.value.code == -1121 and refused.value.status_code == 400


def test_orders_trades_and_account(live: LiveServer, alice: Account, bob: Account) -> None:
    a, b = python_binance_client(live.url, alice), python_binance_client(live.url, bob)
    assert a.create_test_order(symbol="ETHUSD", side="BUY", type="LIMIT", timeInForce="GTC", quantity="1",
                               price="2000") == {}  # fmt: skip
    ask = a.order_limit_sell(symbol="ETHUSD", quantity="1.5", price="2000", newClientOrderId="pb-ask-1")
    assert ask["status"] == "NEW" and ask["clientOrderId"] == "pb-ask-1" and ask["fills"] == []
    rest = a.order_limit_buy(symbol="ETHUSD", quantity="1", price="1900")

    book = a.get_order_book(symbol="ETHUSD", limit=5)
    assert book["asks"][0] == ["2000.00000000", "1.50000000"] and book["bids"][0] == [
        "1900.00000000",
        "1.00000000",
    ]
    assert a.get_orderbook_ticker(symbol="ETHUSD")["askPrice"] == "2000.00000000"

    taken = b.order_market_buy(symbol="ETHUSD", quantity="1")
    assert taken["status"] == "FILLED" and taken["executedQty"] == "1.00000000"
    assert taken["cummulativeQuoteQty"] == "2000.00000000"
    assert [(f["price"], f["qty"]) for f in taken["fills"]] == [("2000.00000000", "1.00000000")]

    order = a.get_order(symbol="ETHUSD", origClientOrderId="pb-ask-1")
    assert order["status"] == "PARTIALLY_FILLED" and order["executedQty"] == "1.00000000"
    assert {o["orderId"] for o in a.get_open_orders(symbol="ETHUSD")} == {ask["orderId"], rest["orderId"]}
    canceled = a.cancel_order(symbol="ETHUSD", orderId=rest["orderId"])  # python-binance: a DELETE body
    assert canceled["status"] == "CANCELED" and canceled["orderId"] == rest["orderId"]
    assert [o["orderId"] for o in a.get_all_orders(symbol="ETHUSD")] == [ask["orderId"], rest["orderId"]]

    mine = b.get_my_trades(symbol="ETHUSD")
    assert [(t["price"], t["qty"], t["isBuyer"], t["isMaker"]) for t in mine] == [
        ("2000.00000000", "1.00000000", True, False)
    ]
    assert a.get_aggregate_trades(symbol="ETHUSD")[-1]["p"] == "2000.00000000"
    assert a.get_recent_trades(symbol="ETHUSD")[-1]["isBuyerMaker"] is False
    assert a.get_klines(symbol="ETHUSD", interval="1m")[-1][4] == "2000.00000000"
    assert a.get_ticker(symbol="ETHUSD")["lastPrice"] == "2000.00000000"
    assert a.get_symbol_ticker(symbol="ETHUSD")["price"] == "2000.00000000"
    assert D(a.get_avg_price(symbol="ETHUSD")["price"]) == D(2000)

    usd = b.get_asset_balance(asset="USD")
    v1 = {x["asset"]: x for x in api_v1(live.url, bob, "account/")["balances"]}
    assert D(usd["free"]) == D(v1["USD"]["free"]) == D(10000) - D(2000)
    assert b.get_account()["canTrade"] is True

    with pytest.raises(BinanceAPIException) as refused:
        b.order_limit_buy(symbol="ETHUSD", quantity="100", price="1000")
    assert refused.value.code == -2010
    assert refused.value.message == "Account has insufficient balance for requested action."
    with pytest.raises(BinanceAPIException) as refused:
        b.order_limit_buy(symbol="ETHUSD", quantity="0.0001", price="1000")
    assert refused.value.code == -1013 and refused.value.message.startswith("Filter failure: ")
    with pytest.raises(BinanceAPIException) as refused:
        a.cancel_order(symbol="ETHUSD", orderId=rest["orderId"])
    assert refused.value.code == -2011
    with pytest.raises(BinanceAPIException) as refused:
        b.order_limit_buy(symbol="ETHUSD", quantity="1", price="1000", newClientOrderId="pb-ask-1x")
        b.order_limit_buy(symbol="ETHUSD", quantity="1", price="1000", newClientOrderId="pb-ask-1x")
    assert refused.value.code == -2010 and refused.value.message == "Duplicate order sent."


def test_listen_keys(live: LiveServer, alice: Account) -> None:
    client = python_binance_client(live.url, alice)
    key = client.stream_get_listen_key()
    assert len(key) == 64 and client.stream_get_listen_key() == key
    assert client.stream_keepalive(key) == {}
    assert client.stream_close(key) == {}
    with pytest.raises(BinanceAPIException) as refused:
        client.stream_keepalive(key)
    assert refused.value.code == -1125
