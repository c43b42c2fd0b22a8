"""ccxt's `binance` exchange, unchanged but for its URLs, trades on QuantX over /api/v3/.

Two accounts: the maker rests orders, the taker takes them with market orders (by amount and by
cost). Every answer is checked against QuantX's own API (/api/v1/) and the server's ledger.
"""

from decimal import Decimal

import ccxt
import pytest
import requests

from tests.binance_compat.conftest import PASSWORD, Account, api_v1, ccxt_binance
from tests.browser.conftest import LiveServer

D = Decimal


def trader_page(base: str, username: str, path: str) -> str:
    """A page as the trader sees it in a browser: logged in through the login form."""
    session = requests.Session()
    session.get(f"{base}/accounts/login/")
    form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    logged_in = session.post(
        f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/accounts/login/"}
    )
    assert logged_in.ok and "logout" in logged_in.text.lower(), logged_in.status_code
    return session.get(f"{base}{path}").text


@pytest.fixture(scope="module")
def maker_ex(live: LiveServer, maker: Account) -> ccxt.binance:
    return ccxt_binance(live.url, maker)


@pytest.fixture(scope="module")
def taker_ex(live: LiveServer, taker: Account) -> ccxt.binance:
    return ccxt_binance(live.url, taker)


def test_markets_come_from_exchange_info(maker_ex: ccxt.binance) -> None:
    markets = maker_ex.load_markets()
    btc = markets["BTC/USD"]
    assert btc["id"] == "BTCUSD"
    assert btc["spot"] and btc["active"]
    assert btc["precision"]["price"] == 0.01
    assert btc["limits"]["amount"]["min"] > 0


def test_a_trading_session(
    live: LiveServer, maker: Account, maker_ex: ccxt.binance, taker_ex: ccxt.binance
) -> None:
    maker_ex.load_markets()
    taker_ex.load_markets()
    before = {a: D(str(v)) for a, v in taker_ex.fetch_balance()["total"].items()}

    asks = [maker_ex.create_order("BTC/USD", "limit", "sell", 0.01, p) for p in (30100, 30200, 30300)]
    bid = maker_ex.create_order("BTC/USD", "limit", "buy", 0.02, 29900)
    assert all(o["status"] == "open" for o in [*asks, bid])

    book = taker_ex.fetch_order_book("BTC/USD")
    assert book["asks"][:3] == [[30100.0, 0.01], [30200.0, 0.01], [30300.0, 0.01]]
    assert book["bids"][0] == [29900.0, 0.02]
    assert book["nonce"] > 0

    by_amount = taker_ex.create_order("BTC/USD", "market", "buy", 0.01)
    assert by_amount["status"] == "closed" and by_amount["filled"] == 0.01
    assert by_amount["average"] == 30100.0 and by_amount["cost"] == 301.0
    assert by_amount["trades"] and by_amount["trades"][0]["price"] == 30100.0
    by_cost = taker_ex.create_order("BTC/USD", "market", "buy", None, params={"quoteOrderQty": "302"})
    assert by_cost["status"] == "closed" and by_cost["filled"] == 0.01 and by_cost["cost"] == 302.0
    by_cost_helper = taker_ex.create_market_buy_order_with_cost("BTC/USD", 151.5)
    assert by_cost_helper["filled"] == 0.005

    fetched = maker_ex.fetch_order(asks[0]["id"], "BTC/USD")
    assert fetched["status"] == "closed" and fetched["filled"] == 0.01
    open_orders = maker_ex.fetch_open_orders("BTC/USD")
    assert {o["id"] for o in open_orders} == {asks[2]["id"], bid["id"]}
    assert next(o for o in open_orders if o["id"] == asks[2]["id"])["filled"] == 0.005
    canceled = maker_ex.cancel_order(bid["id"], "BTC/USD")
    assert canceled["status"] == "canceled"

    mine = taker_ex.fetch_my_trades("BTC/USD")
    assert [t["price"] for t in mine] == [30100.0, 30200.0, 30300.0]
    assert all(t["side"] == "buy" and t["takerOrMaker"] == "taker" for t in mine)
    public = taker_ex.fetch_trades("BTC/USD")
    assert [t["price"] for t in public[-3:]] == [30100.0, 30200.0, 30300.0]
    assert public[-1]["side"] == "buy"

    ticker = taker_ex.fetch_ticker("BTC/USD")
    assert ticker["last"] == 30300.0 and ticker["ask"] == 30300.0 and ticker["askVolume"] == 0.005
    assert ticker["baseVolume"] >= 0.025
    tickers = taker_ex.fetch_tickers(["BTC/USD", "ETH/USD"])
    assert set(tickers) == {"BTC/USD", "ETH/USD"}
    candles = taker_ex.fetch_ohlcv("BTC/USD", "1m", limit=5)
    assert candles[-1][4] == 30300.0 and candles[-1][5] >= 0.025

    after = {a: D(str(v)) for a, v in taker_ex.fetch_balance()["total"].items()}
    bought = D("0.025") - sum(D(str(t["fee"]["cost"])) for t in mine if t["fee"]["currency"] == "BTC")
    assert after["BTC"] - before["BTC"] == bought
    assert before["USD"] - after["USD"] == D("301") + D("302") + D("151.5")

    # The same orders, through QuantX's own API and on the trader's orders page.
    v1_orders = {o["id"]: o for o in api_v1(live.url, maker, "orders/?symbol=BTC-USD")["results"]}
    assert v1_orders[int(bid["id"])]["status"] == "CANCELED"
    assert v1_orders[int(asks[0]["id"])]["client_order_id"] == asks[0]["clientOrderId"]
    page = trader_page(live.url, maker.username, "/orders/")
    assert all(f'data-order-id="{o["id"]}"' in page for o in [*asks, bid])


def test_refusals_raise_the_exceptions_ccxt_users_catch(live: LiveServer, maker_ex: ccxt.binance) -> None:
    maker_ex.load_markets()
    with pytest.raises(ccxt.InsufficientFunds):
        maker_ex.create_order("BTC/USD", "limit", "buy", 5, 30000)
    with pytest.raises(ccxt.InvalidOrder, match="PRICE_FILTER"):
        maker_ex.create_order("BTC/USD", "limit", "buy", 0.01, "30000.005", params={"price": "30000.005"})
    with pytest.raises(ccxt.OrderNotFound):
        maker_ex.fetch_order("999999", "BTC/USD")
    with pytest.raises(ccxt.OrderNotFound):
        maker_ex.cancel_order("999999", "BTC/USD")
    with pytest.raises(ccxt.BadSymbol):
        maker_ex.public_get_depth({"symbol": "DOGEUSD"})
    wrong = ccxt_binance(live.url, Account("x", "", maker_ex.apiKey, "0" * 64))
    wrong.markets, wrong.markets_by_id, wrong.symbols = (
        maker_ex.markets,
        maker_ex.markets_by_id,
        maker_ex.symbols,
    )
    with pytest.raises(ccxt.AuthenticationError):
        wrong.fetch_balance()
