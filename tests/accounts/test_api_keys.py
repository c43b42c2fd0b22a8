"""API key endpoints: create (secret once), list, revoke, and who may do it."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import ApiKey
from tests.accounts.signing import make_api_key, signed_headers
from tests.factories import make_user

pytestmark = pytest.mark.django_db

KEYS = "/api/v1/api-keys/"


@pytest.fixture(autouse=True)
def _isolated(settings):
    """Fresh throttle counters; a fast hasher (PBKDF2 costs ~0.2 s per user)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user():
    return make_user("alice")


@pytest.fixture
def client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_created_key_shows_its_secret_once_and_never_in_the_list(client):
    created = client.post(KEYS, {"label": "bot", "scopes": ["READ", "TRADE"]}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["key"].startswith("qx_")
    assert len(body["secret"]) == 64
    assert body["scopes"] == ["READ", "TRADE"]
    assert created.headers["Cache-Control"] == "no-store"

    listed = client.get(KEYS)
    assert listed.status_code == 200
    assert [k["key"] for k in listed.json()] == [body["key"]]
    assert "secret" not in listed.json()[0]
    assert body["secret"] not in listed.content.decode()


def test_created_key_defaults_to_read_scope_only(client):
    body = client.post(KEYS, {"label": "watcher"}, format="json").json()
    assert body["scopes"] == ["READ"]
    api_key = ApiKey.objects.get(key=body["key"])
    assert (api_key.can_read, api_key.can_trade) == (True, False)


def test_created_key_refuses_an_unknown_scope_and_writes_nothing(client):
    response = client.post(KEYS, {"scopes": ["READ", "ADMIN"]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == -1100
    assert response.json()["field"] == "scopes.1"
    assert not ApiKey.objects.exists()


def test_created_key_refuses_an_empty_scope_list(client):
    response = client.post(KEYS, {"scopes": []}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "scopes"
    assert not ApiKey.objects.exists()


def test_list_shows_only_my_active_keys(client, user):
    mine, _ = make_api_key(user)
    revoked, _ = make_api_key(user)
    client.delete(f"{KEYS}{revoked.pk}/")
    make_api_key(make_user("bob"))
    assert [k["id"] for k in client.get(KEYS).json()] == [mine.pk]


def test_revoking_my_key_marks_it_revoked(client, user):
    api_key, _ = make_api_key(user)
    response = client.delete(f"{KEYS}{api_key.pk}/")
    assert response.status_code == 204
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None


def test_revoking_another_users_key_is_404_and_leaves_it_active(client):
    theirs, _ = make_api_key(make_user("bob"))
    response = client.delete(f"{KEYS}{theirs.pk}/")
    assert response.status_code == 404
    assert response.json() == {"code": -1125, "msg": "No such API key."}
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoking_an_already_revoked_key_is_404_and_keeps_the_first_revocation_time(client, user):
    api_key, _ = make_api_key(user)
    client.delete(f"{KEYS}{api_key.pk}/")
    api_key.refresh_from_db()
    first = api_key.revoked_at
    assert client.delete(f"{KEYS}{api_key.pk}/").status_code == 404
    api_key.refresh_from_db()
    assert api_key.revoked_at == first


def test_a_non_numeric_key_id_is_a_json_404():
    response = APIClient().delete(f"{KEYS}abc/")
    assert response.status_code == 404
    assert response.json()["code"] == -1125


def test_anonymous_cannot_list_or_create_keys():
    anonymous = APIClient()
    assert anonymous.get(KEYS).status_code == 401
    assert anonymous.post(KEYS, {}, format="json").json()["code"] == -1002
    assert not ApiKey.objects.exists()


def test_an_api_key_cannot_create_another_key(user):
    api_key, secret = make_api_key(user, scopes=("READ", "TRADE"))
    body = '{"label":"minted","scopes":["TRADE"]}'
    response = APIClient().post(
        KEYS,
        body,
        content_type="application/json",
        headers=signed_headers(api_key.key, secret, "POST", KEYS, body),
    )
    assert response.status_code == 403
    assert response.json()["code"] == -2015
    assert ApiKey.objects.count() == 1


def test_an_api_key_cannot_revoke_a_key(user):
    api_key, secret = make_api_key(user, scopes=("READ", "TRADE"))
    path = f"{KEYS}{api_key.pk}/"
    response = APIClient().delete(path, headers=signed_headers(api_key.key, secret, "DELETE", path))
    assert response.status_code == 403
    assert response.json()["code"] == -2015
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_session_login_can_create_a_key_with_a_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    refused = client.post(KEYS, {"label": "x"}, format="json")
    assert refused.status_code == 403
    assert not ApiKey.objects.exists()
    client.get("/accounts/login/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    created = client.post(KEYS, {"label": "x"}, format="json", headers={"X-CSRFToken": token})
    assert created.status_code == 201
