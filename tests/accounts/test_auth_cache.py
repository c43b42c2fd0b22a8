"""The per-process auth cache: changes made elsewhere take effect within QX_AUTH_CACHE_SECONDS.

"Another process" is simulated by changing the row with a queryset `update()` (no model signal
reaches this process's cache), and "time passing" by moving the cache's clock.
"""

import time

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.api_keys import api_key_revoke
from accounts.models import ApiKey, User
from tests.accounts.signing import make_api_key, signed_headers

pytestmark = pytest.mark.django_db
ME = "/api/v1/auth/me/"
BOUND = 10


@pytest.fixture(autouse=True)
def _bound(settings):
    settings.AUTH_CACHE_SECONDS = BOUND


@pytest.fixture
def later(monkeypatch):
    """later(seconds): the auth cache's clock jumps ahead."""

    def jump(seconds: float) -> None:
        monkeypatch.setattr("accounts.auth_cache.clock", lambda: time.monotonic() + seconds)

    return jump


@pytest.fixture
def jwt_client(alice) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(alice)}")
    return client


def signed_me(client, api_key, secret):
    return client.get(ME, headers=signed_headers(api_key.key, secret, "GET", ME))


# -------------------------------------------------------------------------- JWT


def test_a_user_deactivated_by_another_process_is_refused_once_the_bound_has_passed(jwt_client, alice, later):
    assert jwt_client.get(ME).status_code == 200
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert jwt_client.get(ME).status_code == 200  # within the bound: the documented staleness
    later(BOUND + 0.1)
    response = jwt_client.get(ME)
    assert (response.status_code, response.json()["code"]) == (401, -1002)


def test_a_user_deleted_by_another_process_is_refused_once_the_bound_has_passed(jwt_client, alice, later):
    assert jwt_client.get(ME).status_code == 200
    User.objects.filter(pk=alice.pk).delete()
    later(BOUND + 0.1)
    assert jwt_client.get(ME).status_code == 401


def test_a_user_deactivated_in_this_process_is_refused_at_once(jwt_client, alice):
    assert jwt_client.get(ME).status_code == 200
    alice.is_active = False
    alice.save()
    assert jwt_client.get(ME).status_code == 401


def test_a_bound_of_zero_reads_the_user_on_every_request(jwt_client, alice, settings):
    settings.AUTH_CACHE_SECONDS = 0
    assert jwt_client.get(ME).status_code == 200
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert jwt_client.get(ME).status_code == 401


def test_each_request_gets_its_own_copy_of_the_cached_user(alice):
    from accounts.authentication import CachedJWTAuthentication

    auth = CachedJWTAuthentication()
    token = auth.get_validated_token(str(AccessToken.for_user(alice)).encode())
    first, second = auth.get_user(token), auth.get_user(token)
    assert first == second and first is not second
    first.username = "changed"
    assert auth.get_user(token).username == "alice"


def test_a_cached_user_still_needs_a_valid_token(jwt_client, alice):
    assert jwt_client.get(ME).status_code == 200
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(alice)}x")
    assert forged.get(ME).status_code == 401


# -------------------------------------------------------------------------- API keys


def test_a_key_revoked_by_another_process_is_refused_once_the_bound_has_passed(alice, later):
    api_key, secret = make_api_key(alice)
    client = APIClient()
    assert signed_me(client, api_key, secret).status_code == 200
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at="2026-01-01T00:00:00Z")
    assert signed_me(client, api_key, secret).status_code == 200  # within the bound
    later(BOUND + 0.1)
    response = signed_me(client, api_key, secret)
    assert (response.status_code, response.json()["code"], response.json()["reason"]) == (
        401,
        -2015,
        "AUTH_KEY_INVALID",
    )


def test_a_key_revoked_in_this_process_is_refused_at_once(alice):
    api_key, secret = make_api_key(alice)
    client = APIClient()
    assert signed_me(client, api_key, secret).status_code == 200
    api_key_revoke(user=alice, key_id=api_key.pk)
    assert signed_me(client, api_key, secret).status_code == 401


def test_the_key_of_a_user_deactivated_in_this_process_is_refused_at_once(alice):
    api_key, secret = make_api_key(alice)
    client = APIClient()
    assert signed_me(client, api_key, secret).status_code == 200
    alice.is_active = False
    alice.save()
    assert signed_me(client, api_key, secret).status_code == 401


def test_a_cached_key_still_checks_every_signature_and_timestamp(alice):
    api_key, secret = make_api_key(alice)
    client = APIClient()
    assert signed_me(client, api_key, secret).status_code == 200
    wrong_secret = client.get(ME, headers=signed_headers(api_key.key, "0" * 64, "GET", ME))
    stale = client.get(ME, headers=signed_headers(api_key.key, secret, "GET", ME, timestamp=1))
    assert (wrong_secret.status_code, wrong_secret.json()["code"]) == (401, -1022)
    assert (stale.status_code, stale.json()["code"]) == (401, -1021)
