"""The throttles' fixed-window counter (accounts/rate_window.py), on Redis and on local memory."""

import time

import pytest
import redis
from django.core.cache import cache, caches
from rest_framework.test import APIClient

from accounts.rate_window import window_hit
from tests.factories import make_user


@pytest.fixture
def redis_cache(redis_url, settings):
    """The default cache on the test Redis, emptied of this test's keys before and after."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "qx-rate-test",
        }
    }
    cache.delete_many(["k", "throttle_order_place_user:1"])
    yield caches["default"]
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("qx-rate-test:*"):
        client.delete(key)


@pytest.fixture
def local_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    return caches["default"]


@pytest.fixture(params=["redis", "local"])
def any_cache(request):
    if request.param == "redis":
        request.applymarker(pytest.mark.redis)
        return request.getfixturevalue("redis_cache")
    return request.getfixturevalue("local_cache")


def test_requests_are_counted_within_one_window(any_cache):
    counts = [window_hit("k", 60) for _ in range(3)]
    assert [c for c, _ in counts] == [1, 2, 3]
    assert all(58 < left <= 60 for _, left in counts)


def test_a_new_window_starts_when_the_last_one_ends(any_cache, monkeypatch):
    assert window_hit("k", 1)[0] == 1
    assert window_hit("k", 1)[0] == 2
    time.sleep(1.05)
    assert window_hit("k", 1)[0] == 1


@pytest.mark.redis
def test_a_hit_is_one_redis_command(redis_cache, monkeypatch):
    window_hit("k", 60)  # loads the script once
    sent = []
    real = redis.Redis.execute_command
    monkeypatch.setattr(
        redis.Redis, "execute_command", lambda self, *a, **kw: sent.append(a[0]) or real(self, *a, **kw)
    )
    assert window_hit("k", 60)[0] == 2
    assert sent == ["EVALSHA"]


@pytest.mark.django_db
@pytest.mark.redis
def test_order_placement_is_throttled_through_redis(redis_cache, settings, btc_usd, engine):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "order_place": "2/min",
        },
    }
    client = APIClient()
    client.force_authenticate(make_user("zed"))
    body = {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": "0.010", "price": "100.00"}
    responses = [client.post("/api/v1/orders/", body, format="json") for _ in range(3)]
    assert [r.status_code for r in responses[:2]] != [429, 429]
    assert (responses[2].status_code, responses[2].json()["code"]) == (429, -1003)
    assert 1 <= int(responses[2].headers["Retry-After"]) <= 60
