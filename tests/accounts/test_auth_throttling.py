"""Rate limits: 429 with code -1003 and Retry-After, per scope."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import ApiKey, User
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings):
    """Fresh throttle counters; a fast hasher (PBKDF2 costs ~0.2 s per user)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rates(settings):
    """Sets throttle rates for one test: rates(login="2/min")."""

    def set_rates(**overrides: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **overrides},
        }

    return set_rates


def assert_throttled(response):
    assert response.status_code == 429
    assert response.json()["code"] == -1003
    assert int(response.headers["Retry-After"]) >= 1


def test_token_requests_beyond_the_login_rate_get_429_with_retry_after(rates):
    rates(login="2/min")
    make_user("alice")
    client = APIClient()
    for _ in range(2):
        assert (
            client.post(
                "/api/v1/auth/token/", {"username": "alice", "password": "x"}, format="json"
            ).status_code
            == 401
        )
    assert_throttled(
        client.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    )


def test_token_refresh_shares_the_login_rate(rates):
    rates(login="1/min")
    client = APIClient()
    client.post("/api/v1/auth/token/", {"username": "a", "password": "b"}, format="json")
    assert_throttled(client.post("/api/v1/auth/token/refresh/", {"refresh": "x"}, format="json"))


def test_login_rate_counts_per_client_address_not_per_forwarded_header(rates):
    rates(login="1/min")
    client = APIClient()
    client.post("/api/v1/auth/token/", {"username": "a", "password": "b"}, format="json")
    spoofed = client.post(
        "/api/v1/auth/token/",
        {"username": "a", "password": "b"},
        format="json",
        headers={"X-Forwarded-For": "10.9.8.7"},
    )
    assert_throttled(spoofed)
    other_client = APIClient(REMOTE_ADDR="10.0.0.2")
    assert (
        other_client.post(
            "/api/v1/auth/token/", {"username": "a", "password": "b"}, format="json"
        ).status_code
        == 401
    )


def test_registration_beyond_the_rate_gets_429_and_creates_nobody(rates):
    rates(register="1/hour")
    client = APIClient()
    assert (
        client.post(
            "/api/v1/auth/register/", {"username": "u1", "password": PASSWORD}, format="json"
        ).status_code
        == 201
    )
    assert_throttled(
        client.post("/api/v1/auth/register/", {"username": "u2", "password": PASSWORD}, format="json")
    )
    assert list(User.objects.values_list("username", flat=True)) == ["u1"]


def test_api_key_creation_beyond_the_rate_gets_429_and_creates_nothing(rates):
    rates(api_key_create="1/hour")
    client = APIClient()
    client.force_authenticate(make_user())
    assert client.post("/api/v1/api-keys/", {}, format="json").status_code == 201
    assert_throttled(client.post("/api/v1/api-keys/", {}, format="json"))
    assert ApiKey.objects.count() == 1


def test_listing_api_keys_is_not_counted_against_creation(rates):
    rates(api_key_create="1/hour")
    client = APIClient()
    client.force_authenticate(make_user())
    for _ in range(3):
        assert client.get("/api/v1/api-keys/").status_code == 200
    assert client.post("/api/v1/api-keys/", {}, format="json").status_code == 201


def test_api_key_creation_is_counted_per_user(rates):
    rates(api_key_create="1/hour")
    for name in ("alice", "bob"):
        client = APIClient()
        client.force_authenticate(make_user(name))
        assert client.post("/api/v1/api-keys/", {}, format="json").status_code == 201
