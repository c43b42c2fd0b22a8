"""What a client on the network sees from a real daphne: the server time, RateLimit headers on an
order placement, and the `book:` channel over a real WebSocket client (the `websockets` library)
following the top of the book that REST book-ticker reports."""

import asyncio
import http.client
import json
import time

import pytest
from websockets.asyncio.client import connect

from tests.realserver import DEMO_PASSWORD, RealServer, real_daphne


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with real_daphne(tmp_path_factory.mktemp("polish-real")) as server:
        yield server


def request(server: RealServer, method: str, path: str, body=None, token=None):
    """(status, headers (case-insensitive: daphne sends them lower case), JSON body) of one request."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=15)
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = conn.getresponse()
        return response.status, response.headers, json.loads(response.read())
    finally:
        conn.close()


def login(server: RealServer, username: str) -> str:
    status, _, body = request(
        server, "POST", "/api/v1/auth/token/", {"username": username, "password": DEMO_PASSWORD}
    )
    assert status == 200, body
    return body["access"]


def test_the_server_time_is_the_clock_of_the_server(server: RealServer) -> None:
    before = int(time.time() * 1000)
    status, headers, body = request(server, "GET", "/api/v1/time/")
    after = int(time.time() * 1000)
    assert status == 200
    assert before - 1000 <= body["server_time"] <= after + 1000  # (same machine)
    assert headers.get("RateLimit-Limit") is None  # nothing counts it


def test_placing_an_order_reports_the_order_limit_in_the_headers(server: RealServer) -> None:
    token = login(server, "bob")
    order = {"symbol": "ETH-USD", "side": "BUY", "type": "LIMIT", "qty": "0.01", "price": "100"}
    remaining = []
    for _ in range(2):
        status, headers, body = request(server, "POST", "/api/v1/orders/", order, token)
        assert status == 201, body
        assert (headers["RateLimit-Limit"], headers["RateLimit-Policy"]) == ("6000", "6000;w=60")
        assert 1 <= int(headers["RateLimit-Reset"]) <= 60
        remaining.append(int(headers["RateLimit-Remaining"]))
    assert remaining == [5999, 5998]


async def test_the_book_channel_follows_the_top_of_the_book(server: RealServer) -> None:
    token = await asyncio.to_thread(login, server, "alice")

    def buy(price: str, qty: str) -> None:
        body = {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": qty, "price": price}
        status, _, reply = request(server, "POST", "/api/v1/orders/", body, token)
        assert status == 201, reply

    def book_ticker() -> dict:
        return request(server, "GET", "/api/v1/markets/BTC-USD/book-ticker/")[2]

    await asyncio.to_thread(buy, "30000", "0.001")
    async with connect(server.ws_url) as ws:
        await ws.send(json.dumps({"op": "subscribe", "channels": ["book:BTC-USD"], "id": 1}))

        async def next_frame(event: str) -> dict:
            async with asyncio.timeout(10):
                while True:
                    frame = json.loads(await ws.recv())
                    if frame.get("event") == event and frame.get("channel") == "book:BTC-USD":
                        return frame

        snapshot = await next_frame("snapshot")
        rest = await asyncio.to_thread(book_ticker)
        assert snapshot["seq"] == rest["seq"]
        assert (snapshot["data"]["best_bid"], snapshot["data"]["best_bid_qty"]) == ("30000", "0.001")
        await asyncio.to_thread(buy, "30000.01", "0.002")  # a better bid: the top changes
        update = await next_frame("update")
        assert update["seq"] > snapshot["seq"]
        assert (update["data"]["best_bid"], update["data"]["best_bid_qty"]) == ("30000.01", "0.002")
        rest = await asyncio.to_thread(book_ticker)
        assert rest == {"seq": update["seq"], **{k: v for k, v in update["data"].items() if k != "time"}}
