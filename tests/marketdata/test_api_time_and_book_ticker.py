"""GET /api/v1/time/ and GET /api/v1/markets/{symbol}/book-ticker/: public, cheap, coded errors."""

import time
from datetime import datetime

import pytest
from rest_framework.test import APIClient

from tests.engine.helpers import market_with_traders, place

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def api():
    return APIClient()


def test_server_time_is_now_in_ms_and_iso(api, django_assert_num_queries):
    before = int(time.time() * 1000)
    with django_assert_num_queries(0):
        response = api.get("/api/v1/time/")
    after = int(time.time() * 1000)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"server_time", "iso"}
    assert before <= body["server_time"] <= after
    assert body["iso"].endswith("Z")
    parsed = datetime.fromisoformat(body["iso"].replace("Z", "+00:00"))
    assert int(parsed.timestamp() * 1000) == body["server_time"]


def test_server_time_needs_no_credentials_and_ignores_bad_ones(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api.get("/api/v1/time/").status_code == 200


def test_server_time_refuses_unknown_parameters(api):
    response = api.get("/api/v1/time/?tz=1")
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (400, -1104, "tz")


def test_book_ticker_of_an_empty_book_is_nulls_at_seq_0(api):
    market_with_traders()
    assert api.get("/api/v1/markets/BTC-USD/book-ticker/").json() == {
        "symbol": "BTC-USD", "seq": 0, "best_bid": None, "best_bid_qty": None, "best_ask": None,
        "best_ask_qty": None,
    }  # fmt: skip


def test_book_ticker_equals_the_top_of_depth_after_trading(api):
    _, alice, bob = market_with_traders()
    place(alice, "SELL", "50000", "0.5")
    place(alice, "SELL", "50100", "1")
    place(bob, "BUY", "49900", "0.3")
    place(bob, "BUY", "50000", "0.2")  # trades 0.2 @ 50000: 0.3 left at the best ask
    depth = api.get("/api/v1/markets/BTC-USD/depth/").json()
    book = api.get("/api/v1/markets/BTC-USD/book-ticker/").json()
    assert book == {
        "symbol": "BTC-USD",
        "seq": depth["seq"],
        "best_bid": depth["bids"][0][0],
        "best_bid_qty": depth["bids"][0][1],
        "best_ask": depth["asks"][0][0],
        "best_ask_qty": depth["asks"][0][1],
    }
    assert (book["best_ask"], book["best_ask_qty"], book["best_bid"]) == ("50000", "0.3", "49900")
    place(bob, "BUY", "50000", "0.3")  # takes the whole best ask: the next level is the top
    book = api.get("/api/v1/markets/BTC-USD/book-ticker/").json()
    assert (book["best_ask"], book["best_ask_qty"], book["seq"]) == ("50100", "1", depth["seq"] + 1)


def test_book_ticker_reads_the_database_when_the_cache_lost_the_snapshot(api):
    from django.core.cache import cache

    _, alice, _ = market_with_traders()
    place(alice, "SELL", "50000", "0.5")
    cached = api.get("/api/v1/markets/BTC-USD/book-ticker/").json()
    cache.clear()
    assert api.get("/api/v1/markets/BTC-USD/book-ticker/").json() == cached


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/markets/DOGE-USD/book-ticker/", 400, -1121),
        ("/api/v1/markets/BTC-USD/book-ticker/?limit=1", 400, -1104),
    ],
)
def test_book_ticker_refusals(api, url, status, code):
    market_with_traders()
    response = api.get(url)
    assert (response.status_code, response.json()["code"]) == (status, code)
