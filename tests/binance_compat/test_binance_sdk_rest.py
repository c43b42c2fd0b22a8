"""Binance's official SDK (binance-sdk-spot), pointed at QuantX, over /api/v3/."""

import pytest
from binance_common.errors import BadRequestError
from binance_sdk_spot.rest_api.models import NewOrderSideEnum, NewOrderTimeInForceEnum, NewOrderTypeEnum

from tests.binance_compat.conftest import Account, account_create, api_v1, binance_sdk
from tests.browser.conftest import LiveServer


@pytest.fixture(scope="module")
def carol(live: LiveServer) -> Account:
    return account_create(live.url, "sdk-carol", {"USD": "10000", "BTC": "1"})


def test_market_data(live: LiveServer) -> None:
    api = binance_sdk(live.url).rest_api
    api.ping()
    assert api.time().data().server_time > 0
    info = api.exchange_info(symbol="BTCUSD").data()
    assert info.symbols[0].base_asset == "BTC"
    assert api.depth(symbol="BTCUSD", limit=5).data().last_update_id >= 0
    api.get_trades(symbol="BTCUSD", limit=5).data()
    api.agg_trades(symbol="BTCUSD", limit=5).data()
    api.klines(symbol="BTCUSD", interval="1m", limit=5).data()
    api.ticker24hr(symbol="BTCUSD").data()
    api.ticker_price(symbol="BTCUSD").data()
    api.ticker_book_ticker(symbol="BTCUSD").data()
    api.avg_price(symbol="BTCUSD").data()
    with pytest.raises(BadRequestError, match="Invalid symbol"):
        api.depth(symbol="NOPE")


def test_orders_and_account(live: LiveServer, carol: Account) -> None:
    api = binance_sdk(live.url, carol).rest_api
    placed = api.new_order(
        symbol="BTCUSD", side=NewOrderSideEnum.BUY, type=NewOrderTypeEnum.LIMIT,
        time_in_force=NewOrderTimeInForceEnum.GTC, quantity=0.01, price=25000.5, new_client_order_id="sdk-1",
    ).data()  # fmt: skip
    assert placed.status == "NEW" and placed.client_order_id == "sdk-1" and placed.price == "25000.50000000"
    assert api.get_order(symbol="BTCUSD", order_id=placed.order_id).data().orig_qty == "0.01000000"
    assert [o.order_id for o in api.get_open_orders(symbol="BTCUSD").data()] == [placed.order_id]
    account = api.get_account().data()
    usd = next(b for b in account.balances if b.asset == "USD")
    assert usd.locked == "250.00500000"
    assert api.delete_order(symbol="BTCUSD", order_id=placed.order_id).data().status == "CANCELED"
    assert [o.status for o in api.all_orders(symbol="BTCUSD").data()] == ["CANCELED"]
    assert api.my_trades(symbol="BTCUSD").data() == []
    assert api_v1(live.url, carol, "orders/?symbol=BTC-USD")["results"][0]["client_order_id"] == "sdk-1"
    with pytest.raises(BadRequestError, match="Signature for this request is not valid"):
        binance_sdk(live.url, Account("x", "", carol.key, "1" * 64)).rest_api.get_account()
