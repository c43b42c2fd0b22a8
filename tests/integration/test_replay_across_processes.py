"""A signed request is good once in every process of the scaled mode: the copy sent to another web
server (daphne beside gunicorn's workers) is refused, because the signatures seen live in Redis."""

import hashlib
import hmac
import http.client
import json
import time
from urllib.parse import urlparse

import pytest

from tests.integration.conftest import ScaledStack

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]


def send(base_url: str, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    parts = urlparse(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=15)
    try:
        conn.request(method, path, body, {"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def test_a_signed_order_replayed_to_other_web_processes_places_one_order(stack: ScaledStack) -> None:
    [trader] = stack.new_traders(1, funds={"USD": "100000"}, prefix="replay-")
    created = trader.api.post("/api/v1/api-keys/", {"label": "bot", "scopes": ["READ", "TRADE"]})
    assert created.status == 201, created
    path = "/api/v1/orders/"
    body = json.dumps(
        {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": "0.01", "price": "1000"}
    ).encode()
    timestamp = str(time.time_ns() // 1_000_000)
    payload = f"{timestamp}POST{path}".encode() + body
    headers = {
        "X-QX-APIKEY": created.body["key"],
        "X-QX-TIMESTAMP": timestamp,
        "X-QX-RECV-WINDOW": "60000",
        "X-QX-SIGNATURE": hmac.new(created.body["secret"].encode(), payload, hashlib.sha256).hexdigest(),
    }
    first = send(stack.url("gunicorn"), "POST", path, body, headers)
    assert first[0] == 201, first
    for server in ("daphne", "gunicorn", "gunicorn"):  # another process; gunicorn's 2 workers
        status, reply = send(stack.url(server), "POST", path, body, headers)
        assert (status, reply["code"], reply["reason"]) == (401, -1022, "AUTH_SIGNATURE_REPLAYED"), (
            server,
            reply,
        )
    orders = stack.sql("SELECT count(*) FROM trading_order WHERE user_id = %s", (trader.user_id,))[0][0]
    assert orders == 1
