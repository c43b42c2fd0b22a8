"""Bodies built to break the parser: deeply nested JSON (case 1 of issue 12) and bodies over the
size limit (case 3), on every authentication path. Each is a coded JSON 4xx and changes nothing."""

import json

import pytest
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import ApiKey, User
from tests.accounts.signing import make_api_key, signed_headers
from trading.models import Order

pytestmark = [pytest.mark.django_db]

NESTED = "[" * 1000 + "]" * 1000
NESTED_OBJECTS = '{"a":' * 900 + "1" + "}" * 900
HUGE = json.dumps({"username": "x" * (10 * 1024 * 1024), "password": "y"})
PATHS = ["/api/v1/auth/register/", "/api/v1/auth/token/", "/api/v1/orders/", "/api/v1/api-keys/"]


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def jwt_headers(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


def nothing_written() -> bool:
    return User.objects.count() <= 1 and not Order.objects.exists() and ApiKey.objects.count() <= 1


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("body", [NESTED, NESTED_OBJECTS], ids=["arrays", "objects"])
def test_deeply_nested_json_is_a_coded_400_anonymously_and_with_a_jwt(client, alice, path, body):
    for headers in ({}, jwt_headers(alice)):
        response = client.post(path, body, content_type="application/json", headers=headers)
        if response.status_code == 401:  # an endpoint that needs a login refuses before parsing
            assert response.json()["code"] == -1002
            continue
        assert response.status_code == 400, response.content
        assert response.json()["code"] == -1101
        assert "nested" in response.json()["msg"]
    assert nothing_written()


def test_deeply_nested_json_is_a_coded_400_when_signed(client, alice, btc_usd):
    api_key, secret = make_api_key(alice, scopes=("READ", "TRADE"))
    path = "/api/v1/orders/"
    headers = signed_headers(api_key.key, secret, "POST", path, NESTED)
    response = client.post(path, NESTED, content_type="application/json", headers=headers)
    assert (response.status_code, response.json()["code"]) == (400, -1101)
    assert not Order.objects.exists()


def test_a_shallow_document_still_parses(client):
    response = client.post(
        "/api/v1/auth/register/", '{"username": [[["x"]]]}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == -1100  # a wrong type, not a parse error


@pytest.mark.parametrize("path", PATHS)
def test_a_10_mb_body_is_a_json_413_anonymously_and_with_a_jwt(client, alice, path):
    for headers in ({}, jwt_headers(alice)):
        response = client.post(path, HUGE, content_type="application/json", headers=headers)
        if response.status_code == 401 and not headers:  # an endpoint that needs a login
            assert response.json()["code"] == -1002
            continue
        assert response.status_code == 413, (headers, response.content[:200])
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == -1100
    assert nothing_written()


def test_a_10_mb_body_is_a_json_413_when_signed(client, alice):
    api_key, secret = make_api_key(alice, scopes=("READ", "TRADE"))
    path = "/api/v1/orders/"
    headers = signed_headers(api_key.key, secret, "POST", path, HUGE)
    response = client.post(path, HUGE, content_type="application/json", headers=headers)
    assert (response.status_code, response.json()["code"]) == (413, -1100)


def test_a_10_mb_body_is_a_json_413_with_a_session(client, alice):
    client.force_login(alice)
    response = client.post("/api/v1/orders/", HUGE, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (413, -1100)


def test_redis_down_is_a_503_not_a_500(alice, btc_usd, settings):
    """While Redis restarts (throttle counters live in the cache): a write's outcome is unknown (-1007)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    placed = client.post("/api/v1/orders/", json.dumps({"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT",
                         "qty": "1", "price": "100"}), content_type="application/json")  # fmt: skip
    assert (placed.status_code, placed.json()["code"]) == (503, -1007)
    assert client.get("/api/v1/markets/BTC-USD/depth/").status_code == 200  # rebuilt from the database
    assert not Order.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/orders/", "/api/v1/faucet/"])
def test_an_amount_with_30_decimals_is_bad_precision(alice, btc_usd, settings, path):
    settings.FAUCET_ENABLED = True
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    amount = "0." + "1" * 30
    body = {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": amount, "price": "100"}
    if path.endswith("faucet/"):
        body = {"asset": "USD", "amount": amount}
    response = client.post(path, json.dumps(body), content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, -1111), response.content
