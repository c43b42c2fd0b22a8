"""Binance's signing scheme over QuantX keys, and refusals: every bad request is a coded 4xx in
Binance's words and changes nothing (Django test client; the live tests drive the real libraries)."""

import hashlib
import hmac
import time
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.api_keys import api_key_create, api_key_revoke
from trading.models import Order

pytestmark = pytest.mark.django_db


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


@pytest.fixture(autouse=True)
def _fresh_counters():
    """Weights and order counts live in the cache, which outlives each test's database."""
    cache.clear()


@pytest.fixture
def key(alice):
    return api_key_create(user=alice, label="bot", scopes=["READ", "TRADE"])


def signed_query(secret: str, **params) -> str:
    params.setdefault("timestamp", now_ms())
    query = urlencode(params)
    return f"{query}&signature={sign(secret, query)}"


def post(client: Client, path: str, key: str):
    """A POST with every parameter in the query string and an empty form body (as the SDK sends)."""
    return client.post(path, "", content_type="application/x-www-form-urlencoded", HTTP_X_MBX_APIKEY=key)


def body_of(response) -> dict:
    return response.json()


def test_a_signed_read_works_and_reports_its_weight(client: Client, key, btc_usd) -> None:
    response = client.get(f"/api/v3/account?{signed_query(key.secret)}", HTTP_X_MBX_APIKEY=key.api_key.key)
    assert response.status_code == 200, response.content
    assert body_of(response)["accountType"] == "SPOT"
    assert int(response["X-MBX-USED-WEIGHT-1M"]) >= 20


def test_the_signature_covers_query_then_body_whatever_the_method(
    client: Client, alice, key, btc_usd, engine
) -> None:
    from tests.factories import fund

    fund(alice, "USD", "10")
    query = "symbol=BTCUSD&side=BUY&type=LIMIT&timeInForce=GTC"
    body = f"quantity=0.01&price=100&timestamp={now_ms()}"
    signature = sign(key.secret, query + body)
    response = client.post(
        f"/api/v3/order/test?{query}", f"{body}&signature={signature}",
        content_type="application/x-www-form-urlencoded", HTTP_X_MBX_APIKEY=key.api_key.key,
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert body_of(response) == {}
    assert [c["op"] for c in engine.calls][-1] == "test_place" and not Order.objects.exists()


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda q, s: (q.replace("limit=5", "limit=6"), s), 400, -1022),  # tampered after signing
        (lambda q, s: (q, "0" * 64), 400, -1022),
        (lambda q, s: (q, "xyz"), 400, -1022),
    ],
)
def test_tampered_or_malformed_signatures_are_refused(
    client: Client, key, btc_usd, mutate, status, code
) -> None:
    query = urlencode({"symbol": "BTCUSD", "limit": 5, "timestamp": now_ms()})
    query, signature = mutate(query, sign(key.secret, query))
    response = client.get(
        f"/api/v3/allOrders?{query}&signature={signature}", HTTP_X_MBX_APIKEY=key.api_key.key
    )
    assert (response.status_code, body_of(response)["code"]) == (status, code)


@pytest.mark.parametrize(
    ("timestamp_offset", "recv_window", "code", "msg"),
    [
        (-6_000, None, -1021, "Timestamp for this request is outside of the recvWindow."),
        (-70_000, 60_000, -1021, "Timestamp for this request is outside of the recvWindow."),
        (5_000, None, -1021, "Timestamp for this request was 1000ms ahead of the server's time."),
        (0, 60_001, -1100, None),
    ],
)
def test_stale_or_future_timestamps_are_refused(
    client: Client, key, btc_usd, timestamp_offset, recv_window, code, msg
):
    params = {"timestamp": now_ms() + timestamp_offset}
    if recv_window is not None:
        params["recvWindow"] = recv_window
    response = client.get(
        f"/api/v3/account?{signed_query(key.secret, **params)}", HTTP_X_MBX_APIKEY=key.api_key.key
    )
    assert response.status_code == 400
    assert body_of(response)["code"] == code
    if msg:
        assert body_of(response)["msg"] == msg


def test_keys_must_be_valid_active_and_scoped(client: Client, alice, key, btc_usd) -> None:
    query = signed_query(key.secret)
    assert body_of(client.get(f"/api/v3/account?{query}"))["code"] == -1002
    assert body_of(client.get(f"/api/v3/account?{query}", HTTP_X_MBX_APIKEY="nope"))["code"] == -2014
    read_only = api_key_create(user=alice, label="ro", scopes=["READ"])
    order = signed_query(read_only.secret, symbol="BTCUSD", side="BUY", type="LIMIT", timeInForce="GTC",
                         quantity="0.01", price="100")  # fmt: skip
    refused = post(client, f"/api/v3/order?{order}", read_only.api_key.key)
    assert (refused.status_code, body_of(refused)["code"]) == (401, -2015)
    api_key_revoke(user=alice, key_id=key.api_key.id)
    revoked = client.get(f"/api/v3/account?{signed_query(key.secret)}", HTTP_X_MBX_APIKEY=key.api_key.key)
    assert (revoked.status_code, body_of(revoked)["code"]) == (401, -2015)
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("params", "code", "field_in_msg"),
    [
        ({"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01"}, -1102, "price"),
        ({"side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "100"}, -1102, "timeInForce"),
        (
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "NaN", "price": "100"},
            -1100,
            "quantity",
        ),
        (
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "-1", "price": "100"},
            -1100,
            "quantity",
        ),
        (
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "1e3", "price": "100"},
            -1100,
            "quantity",
        ),
        (
            {
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "99999999999999999999",
                "price": "100",
            },
            -1100,
            "quantity",
        ),
        (
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.000000001", "price": "100"},
            -1111,
            None,
        ),
        (
            {"side": "UP", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "100"},
            -1117,
            None,
        ),
        ({"side": "BUY", "type": "STOP_LOSS", "quantity": "0.01"}, -1116, None),
        (
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTD", "quantity": "0.01", "price": "100"},
            -1115,
            None,
        ),
        ({"side": "BUY", "type": "MARKET", "quantity": "0.01", "price": "100"}, -1106, "price"),
        (
            {
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.01",
                "price": "100",
                "colour": "red",
            },
            -1104,
            None,
        ),
        (
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.0105", "price": "100"},
            -1013,
            "LOT_SIZE",
        ),
        (
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "100.001"},
            -1013,
            "PRICE_FILTER",
        ),
        (
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001", "price": "100"},
            -1013,
            "NOTIONAL",
        ),
        (
            {
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.01",
                "price": "100",
                "newClientOrderId": "no spaces",
            },
            -1100,
            None,
        ),
    ],
)
def test_bad_orders_are_refused_before_the_engine(
    client: Client, key, btc_usd, engine, params, code, field_in_msg
):
    query = signed_query(key.secret, symbol="BTCUSD", **params)
    response = post(client, f"/api/v3/order?{query}", key.api_key.key)
    assert response.status_code == 400, response.content
    assert body_of(response)["code"] == code, body_of(response)
    if field_in_msg:
        assert field_in_msg in body_of(response)["msg"]
    assert not engine.calls and not Order.objects.exists()


def test_another_users_order_does_not_exist(client: Client, alice, bob, key, btc_usd, engine) -> None:
    from tests.factories import make_order

    theirs = {"id": make_order(bob, btc_usd).id}
    for method in (client.get, client.delete):
        query = signed_query(key.secret, symbol="BTCUSD", orderId=theirs["id"])
        response = method(f"/api/v3/order?{query}", HTTP_X_MBX_APIKEY=key.api_key.key)
        assert (response.status_code, body_of(response)) == (
            400,
            {"code": -2013, "msg": "Order does not exist."},
        )
    assert Order.objects.get(id=theirs["id"]).status == "NEW"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v3/depth?symbol=BTCUSD&symbol=BTCUSD", -1101),
        ("/api/v3/depth?symbol=DOGEUSD", -1121),
        ("/api/v3/depth", -1102),
        ("/api/v3/depth?symbol=BTCUSD&limit=0", -1100),
        ("/api/v3/depth?symbol=BTCUSD&limit=abc", -1100),
        ("/api/v3/klines?symbol=BTCUSD&interval=2m", -1120),
        ("/api/v3/ticker/price?symbols=BTCUSD", -1100),
        ("/api/v3/ticker/price?symbol=BTCUSD&symbols=[%22BTCUSD%22]", -1106),
        ("/api/v3/ping?x=1", -1104),
    ],
)
def test_bad_public_requests(client: Client, btc_usd, path, code) -> None:
    response = client.get(path)
    assert (response.status_code, body_of(response)["code"]) == (400, code), response.content


def test_unknown_paths_are_not_mistaken_for_a_listen_key_error(client: Client) -> None:
    for path in ("/api/v3/nothing", "/api/v3/order/oco", "/api/v3/"):
        response = client.get(path)
        assert (response.status_code, body_of(response)["code"]) == (404, -1020)


def test_json_bodies_are_refused(client: Client, key, btc_usd) -> None:
    response = client.post("/api/v3/order", '{"symbol":"BTCUSD"}', content_type="application/json",
                           HTTP_X_MBX_APIKEY=key.api_key.key)  # fmt: skip
    assert response.status_code == 400 and body_of(response)["code"] == -1108


def test_weight_over_the_limit_is_429_with_retry_after(client: Client, settings, btc_usd) -> None:
    settings.BINANCE_WEIGHT_LIMIT_1M = 3
    statuses = [client.get("/api/v3/ping", REMOTE_ADDR="10.9.9.9") for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert body_of(statuses[-1])["code"] == -1003 and int(statuses[-1]["Retry-After"]) >= 1
    assert [r["X-MBX-USED-WEIGHT-1M"] for r in statuses] == ["1", "2", "3", "3"]


def test_orders_share_the_order_place_limit_with_api_v1(
    client: Client, settings, alice, key, btc_usd, engine
) -> None:
    from tests.factories import fund

    fund(alice, "USD", "1000")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "order_place": "2/min"}}  # fmt: skip
    order = dict(symbol="BTCUSD", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="100")
    first = post(client, f"/api/v3/order?{signed_query(key.secret, **order)}", key.api_key.key)
    assert first.status_code == 200, first.content
    assert first["X-MBX-ORDER-COUNT-1M"] == "1"
    client.force_login(alice)
    v1 = {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": "0.01", "price": "100"}
    assert client.post("/api/v1/orders/", v1, content_type="application/json").status_code == 201
    third = post(client, f"/api/v3/order?{signed_query(key.secret, **order)}", key.api_key.key)
    assert (third.status_code, body_of(third)["code"]) == (429, -1015)
    assert int(third["Retry-After"]) >= 1
    assert Order.objects.count() == 2


HOSTILE = [
    "",
    "-1",
    "NaN",
    "1e999",
    "99999999999999999999999999",
    "0x10",
    "%00",
    "é",
    "[",
    '["BTCUSD"',
    "1.5",
]
ENDPOINTS = [
    ("GET", "depth", ["symbol", "limit"]),
    ("GET", "trades", ["symbol", "limit"]),
    ("GET", "aggTrades", ["symbol", "fromId", "startTime", "endTime", "limit"]),
    ("GET", "klines", ["symbol", "interval", "startTime", "endTime", "limit"]),
    ("GET", "avgPrice", ["symbol"]),
    ("GET", "ticker/24hr", ["symbol", "symbols", "type"]),
    ("GET", "ticker/bookTicker", ["symbols"]),
    ("GET", "exchangeInfo", ["symbol", "symbols"]),
    ("GET", "order", ["symbol", "orderId", "origClientOrderId"]),
    ("DELETE", "order", ["symbol", "orderId", "origClientOrderId"]),
    ("POST", "order", ["symbol", "side", "type", "timeInForce", "quantity", "quoteOrderQty", "price", "stopPrice",
                       "newClientOrderId", "newOrderRespType", "selfTradePreventionMode", "icebergQty"]),
    ("GET", "allOrders", ["symbol", "orderId", "startTime", "endTime", "limit"]),
    ("GET", "myTrades", ["symbol", "orderId", "fromId", "startTime", "endTime", "limit"]),
    ("GET", "openOrders", ["symbol"]),
    ("DELETE", "openOrders", ["symbol"]),
    ("GET", "account", ["omitZeroBalances"]),
]  # fmt: skip


def test_no_input_produces_a_500(client: Client, key, btc_usd, engine) -> None:
    """Every parameter of every endpoint, set to each hostile value (the rest valid), signed."""
    valid = {"symbol": "BTCUSD", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01",
             "price": "100", "interval": "1m", "orderId": "1"}  # fmt: skip
    for method, path, names in ENDPOINTS:
        for name in names:
            for value in HOSTILE:
                params = {k: v for k, v in valid.items() if k in names}
                params[name] = value
                query = signed_query(key.secret, **params)
                response = client.generic(
                    method, f"/api/v3/{path}?{query}", "", "application/x-www-form-urlencoded",
                    HTTP_X_MBX_APIKEY=key.api_key.key,
                )  # fmt: skip
                assert response.status_code < 500, (method, path, name, value, response.content)
                if response.status_code >= 400:
                    assert set(body_of(response)) == {"code", "msg"}
