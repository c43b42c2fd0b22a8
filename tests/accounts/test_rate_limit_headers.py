"""RateLimit-Limit/-Remaining/-Reset/-Policy (draft-ietf-httpapi-ratelimit-headers-06) on API
responses, from the very counter that throttles: counting down to the 429, whose Retry-After they
agree with, on local memory and on Redis, without a cache round trip of their own."""

import pytest
import redis
from django.core.cache import cache, caches
from rest_framework.test import APIClient

from tests.factories import PASSWORD, fund, make_instrument, make_user

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
BUY = {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": "0.010", "price": "100.00"}
HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")


@pytest.fixture
def local_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    return caches["default"]


@pytest.fixture
def redis_cache(redis_url, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "qx-ratelimit-headers-test",
        }
    }
    yield caches["default"]
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("qx-ratelimit-headers-test:*"):
        client.delete(key)


@pytest.fixture(params=["local", "redis"])
def any_cache(request):
    if request.param == "redis":
        request.applymarker(pytest.mark.redis)
        return request.getfixturevalue("redis_cache")
    return request.getfixturevalue("local_cache")


@pytest.fixture
def three_orders_a_minute(settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "order_place": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.fixture
def trader(engine):
    make_instrument("BTC-USD")
    user = make_user("rita")
    fund(user, "USD", "10000")
    client = APIClient()
    client.force_authenticate(user)
    return client


def usage(response):
    return {name: response.headers.get(name) for name in HEADERS}


def test_placing_orders_counts_down_to_the_429_whose_retry_after_is_the_reset(
    any_cache, three_orders_a_minute, trader
):
    responses = [trader.post(ORDERS, BUY, format="json") for _ in range(4)]
    assert [r.status_code for r in responses] == [201, 201, 201, 429]
    assert [r.headers["RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    for response in responses:
        assert response.headers["RateLimit-Limit"] == "3"
        assert response.headers["RateLimit-Policy"] == "3;w=60"
        assert 1 <= int(response.headers["RateLimit-Reset"]) <= 60
    refused = responses[-1]
    assert refused.json()["code"] == -1003
    assert refused.headers["Retry-After"] == refused.headers["RateLimit-Reset"]


def test_an_order_refused_after_the_throttle_still_reports_the_count(
    local_cache, three_orders_a_minute, trader
):
    response = trader.post(ORDERS, {**BUY, "price": "100.005"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, -1013)
    assert response.headers["RateLimit-Remaining"] == "2"  # it was counted: the limit is on attempts


def test_requests_no_throttle_counts_carry_no_rate_limit_headers(local_cache, trader):
    for response in (
        trader.get(ORDERS),  # listing: order_place counts POSTs only
        trader.get("/api/v1/account/"),
        APIClient().get("/api/v1/time/"),
        APIClient().get("/api/v1/instruments/"),
    ):
        assert response.status_code == 200
        assert usage(response) == dict.fromkeys(HEADERS)


def test_a_request_refused_before_the_throttle_runs_has_none(local_cache, engine):
    response = APIClient().post(ORDERS, BUY, format="json")
    assert response.status_code == 401
    assert usage(response) == dict.fromkeys(HEADERS)


def test_login_attempts_report_the_login_limit(local_cache, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "5/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    make_user("lena")
    client = APIClient()
    bad = client.post("/api/v1/auth/token/", {"username": "lena", "password": "nope"}, format="json")
    good = client.post("/api/v1/auth/token/", {"username": "lena", "password": PASSWORD}, format="json")
    assert (bad.status_code, good.status_code) == (401, 200)
    assert (bad.headers["RateLimit-Remaining"], good.headers["RateLimit-Remaining"]) == ("4", "3")
    assert good.headers["RateLimit-Policy"] == "5;w=60"


@pytest.mark.redis
def test_the_headers_cost_no_redis_command_of_their_own(redis_cache, monkeypatch):
    # (login, not an order: in tests the engine runs in this process and uses the cache too)
    make_user("lena")
    client = APIClient()
    body = {"username": "lena", "password": PASSWORD}
    client.post("/api/v1/auth/token/", body, format="json")  # loads the counter's script once
    sent = []
    real = redis.Redis.execute_command
    monkeypatch.setattr(
        redis.Redis, "execute_command", lambda self, *a, **kw: sent.append(a[0]) or real(self, *a, **kw)
    )
    response = client.post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 200
    assert int(response.headers["RateLimit-Remaining"]) == int(response.headers["RateLimit-Limit"]) - 2
    assert sent == ["EVALSHA"]  # the throttle's one round trip, nothing else


def test_the_schema_documents_the_headers_on_throttled_operations_only(db):
    schema = APIClient().get("/api/v1/schema/?format=json").json()
    place = schema["paths"]["/api/v1/orders/"]["post"]["responses"]
    for status in ("201", "400", "429"):
        assert set(HEADERS) <= set(place[status]["headers"])
    assert "headers" not in schema["paths"]["/api/v1/orders/"]["get"]["responses"]["200"]
    assert "RateLimit-Limit" in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["200"]["headers"]
