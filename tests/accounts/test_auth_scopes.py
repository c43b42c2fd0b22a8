"""Scope permissions: logins have every scope, API keys only their own."""

import pytest
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate

from accounts.models import Asset
from tests.accounts.signing import ECHO, EchoView, make_api_key, signed_headers
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.signing")]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """PBKDF2 costs ~0.2 s per user; these tests are not about hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


BODY = '{"code":"ZZZ"}'


def post_signed(api_key, secret):
    headers = signed_headers(api_key.key, secret, "POST", ECHO, BODY)
    return APIClient().post(ECHO, BODY, content_type="application/json", headers=headers)


def test_a_read_only_key_is_refused_on_a_trade_view_and_nothing_is_written():
    api_key, secret = make_api_key(make_user(), scopes=("READ",))
    response = post_signed(api_key, secret)
    assert response.status_code == 403
    assert response.json()["code"] == -2015
    assert response.json()["msg"] == "This API key does not have the TRADE scope."
    assert not Asset.objects.exists()


def test_a_trade_key_may_use_a_trade_view():
    api_key, secret = make_api_key(make_user(), scopes=("READ", "TRADE"))
    assert post_signed(api_key, secret).status_code == 200
    assert Asset.objects.filter(code="ZZZ").exists()


def test_a_trade_only_key_is_refused_on_a_read_view():
    api_key, secret = make_api_key(make_user(), scopes=("TRADE",))
    response = APIClient().get(ECHO, headers=signed_headers(api_key.key, secret, "GET", ECHO))
    assert response.status_code == 403
    assert response.json()["code"] == -2015


def test_a_jwt_login_has_the_trade_scope():
    make_user("alice")
    client = APIClient()
    tokens = client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": "correct-horse-battery-9"}, format="json"
    )
    headers = {"Authorization": f"Bearer {tokens.json()['access']}"}
    response = client.post(ECHO, BODY, content_type="application/json", headers=headers)
    assert response.status_code == 200


def test_anonymous_is_401_not_403_on_a_scoped_view():
    response = APIClient().post(ECHO, BODY, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == -1002
    assert not Asset.objects.exists()


def test_the_trade_permission_reads_the_key_from_request_auth():
    user = make_user()
    api_key, _ = make_api_key(user, scopes=("READ",))
    request = APIRequestFactory().post(ECHO, {"code": "ZZZ"}, format="json")
    force_authenticate(request, user=user, token=api_key)
    response = EchoView.as_view()(request)
    assert response.status_code == 403
    assert response.data["code"] == -2015
    assert not Asset.objects.exists()


def test_the_trade_permission_allows_a_forced_login_without_a_key():
    user = make_user()
    request = APIRequestFactory().post(ECHO, {"code": "ZZZ"}, format="json")
    force_authenticate(request, user=user)
    assert EchoView.as_view()(request).status_code == 200
