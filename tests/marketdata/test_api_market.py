"""The public market-data REST API: depth, trades, tickers, candles and catch-up, with coded errors."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from marketdata.books import checksum
from marketdata.protocol import UPDATES_WINDOW
from tests.engine.helpers import engine, market_with_traders, place
from tests.factories import make_instrument

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def market():
    instrument, alice, bob = market_with_traders()
    place(alice, "SELL", "50000", "0.5")
    place(alice, "SELL", "50100", "1")
    place(bob, "BUY", "49900", "0.3")
    place(bob, "BUY", "50000", "0.2")  # trade 0.2 @ 50000
    return instrument, alice, bob


def test_depth_is_public_and_consistent_with_a_seq(api, market):
    body = api.get("/api/v1/markets/BTC-USD/depth/").json()
    assert body == {
        "symbol": "BTC-USD",
        "seq": 4,
        "bids": [["49900", "0.3"]],
        "asks": [["50000", "0.3"], ["50100", "1"]],
        "checksum": checksum([("49900", "0.3")], [("50000", "0.3"), ("50100", "1")]),
    }
    assert api.get("/api/v1/markets/BTC-USD/depth/?limit=1").json()["asks"] == [["50000", "0.3"]]


def test_depth_without_the_cache_is_rebuilt_from_the_database(api, market):
    with_cache = api.get("/api/v1/markets/BTC-USD/depth/").json()
    cache.clear()  # a Redis restart
    assert api.get("/api/v1/markets/BTC-USD/depth/").json() == with_cache


def test_recent_trades_oldest_first(api, market):
    [trade] = api.get("/api/v1/markets/BTC-USD/trades/").json()
    assert {k: trade[k] for k in ("price", "qty", "quote_qty", "side", "seq")} == {
        "price": "50000", "qty": "0.2", "quote_qty": "10000", "side": "BUY", "seq": 4,
    }  # fmt: skip
    assert isinstance(trade["id"], int) and trade["time"] > 1_600_000_000_000


def test_ticker_and_tickers(api, market):
    make_instrument("ETH-USD")
    ticker = api.get("/api/v1/markets/BTC-USD/ticker/").json()
    assert {k: ticker[k] for k in ("open", "high", "low", "last", "volume", "quote_volume", "change_pct")} == {
        "open": "50000", "high": "50000", "low": "50000", "last": "50000", "volume": "0.2",
        "quote_volume": "10000", "change_pct": "0.00",
    }  # fmt: skip
    assert (ticker["best_bid"], ticker["best_ask"], ticker["best_ask_qty"]) == ("49900", "50000", "0.3")
    tickers = {t["symbol"]: t for t in api.get("/api/v1/tickers/").json()}
    assert tickers["BTC-USD"]["last"] == "50000"
    assert (tickers["ETH-USD"]["last"], tickers["ETH-USD"]["volume"], tickers["ETH-USD"]["best_bid"]) == (
        None,
        "0",
        None,
    )


def test_candles_from_trades(api, market):
    [candle] = api.get("/api/v1/markets/BTC-USD/candles/?interval=1m&limit=1").json()
    assert (candle["open"], candle["close"], candle["volume"], candle["trades"]) == (
        "50000",
        "50000",
        "0.2",
        1,
    )
    assert candle["close_time"] - candle["open_time"] == 59_999


def test_updates_since_a_seq_replay_the_missed_changes(api, market):
    body = api.get("/api/v1/markets/BTC-USD/updates/?since_seq=2").json()
    assert body["seq"] == 4
    assert [(u["prev_seq"], u["seq"]) for u in body["updates"]] == [(2, 3), (3, 4)]
    assert body["updates"][1]["asks"] == [["50000", "0.3"]]
    assert [t["seq"] for t in body["updates"][1]["trades"]] == [4]
    assert api.get("/api/v1/markets/BTC-USD/updates/?since_seq=4").json()["updates"] == []


def test_updates_older_than_the_window_ask_for_a_new_snapshot(api, market):
    cache.clear()
    response = api.get("/api/v1/markets/BTC-USD/updates/?since_seq=2")
    assert response.status_code == 410
    assert response.json()["code"] == -1140


def test_the_window_keeps_the_last_updates_only(api, monkeypatch):
    monkeypatch.setattr("marketdata.publisher.UPDATES_WINDOW", 2)
    _, alice, _ = market_with_traders()
    for price in ("50000", "50010", "50020"):
        place(alice, "SELL", price, "0.1")
    assert api.get("/api/v1/markets/BTC-USD/updates/?since_seq=0").status_code == 410
    assert len(api.get("/api/v1/markets/BTC-USD/updates/?since_seq=1").json()["updates"]) == 2
    assert UPDATES_WINDOW >= 100


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/markets/DOGE-USD/depth/", 400, -1121),
        ("/api/v1/markets/DOGE-USD/ticker/", 400, -1121),
        ("/api/v1/markets/BTC-USD/depth/?limit=0", 400, -1100),
        ("/api/v1/markets/BTC-USD/depth/?limit=1001", 400, -1100),
        ("/api/v1/markets/BTC-USD/trades/?limit=abc", 400, -1100),
        ("/api/v1/markets/BTC-USD/depth/?depth=5", 400, -1104),
        ("/api/v1/markets/BTC-USD/candles/", 400, -1102),
        ("/api/v1/markets/BTC-USD/candles/?interval=2m", 400, -1120),
        ("/api/v1/markets/BTC-USD/candles/?interval=1m&start=2000&end=1000", 400, -1100),
        ("/api/v1/markets/BTC-USD/candles/?interval=1m&limit=1001", 400, -1100),
        ("/api/v1/markets/BTC-USD/candles/?interval=1m&start=-5", 400, -1100),
        ("/api/v1/markets/BTC-USD/updates/", 400, -1102),
        ("/api/v1/markets/BTC-USD/updates/?since_seq=999", 400, -1100),
        ("/api/v1/tickers/?symbol=BTC-USD", 400, -1104),
    ],
)
def test_bad_queries_are_coded_errors(api, market, url, status, code):
    response = api.get(url)
    assert (response.status_code, response.json()["code"]) == (status, code), response.json()


def test_every_listed_instrument_answers(api, market):
    make_instrument("ETH-USD")
    engine("reload_instrument", symbol="ETH-USD")
    for symbol in ("BTC-USD", "ETH-USD"):
        for what in ("depth/", "trades/", "ticker/", "candles/?interval=1h"):
            assert api.get(f"/api/v1/markets/{symbol}/{what}").status_code == 200, (symbol, what)
