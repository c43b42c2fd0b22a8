"""Registration, JWT tokens and who-am-I, end to end through the API."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
ME = "/api/v1/auth/me/"


@pytest.fixture(autouse=True)
def _isolated(settings):
    """Fresh throttle counters; a fast hasher (PBKDF2 costs ~0.2 s per user)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def test_register_then_token_then_refresh_then_me(client):
    registered = client.post(
        REGISTER, {"username": "alice", "password": PASSWORD, "email": "a@example.com"}, format="json"
    )
    assert registered.status_code == 201, registered.json()
    assert registered.json()["username"] == "alice"
    assert "password" not in registered.json()

    tokens = client.post(TOKEN, {"username": "alice", "password": PASSWORD}, format="json").json()
    refreshed = client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 200

    me = client.get(ME, headers={"Authorization": f"Bearer {refreshed.json()['access']}"})
    assert me.status_code == 200
    assert me.json() == {
        "id": registered.json()["id"],
        "username": "alice",
        "email": "a@example.com",
        "auth": "jwt",
        "scopes": ["READ", "TRADE"],
        "api_key": None,
    }


def test_registered_password_is_hashed_not_stored(client):
    client.post(REGISTER, {"username": "bob", "password": PASSWORD}, format="json")
    user = User.objects.get(username="bob")
    assert user.password != PASSWORD
    assert user.check_password(PASSWORD)


def test_registration_refuses_a_common_password_naming_the_field(client):
    response = client.post(REGISTER, {"username": "carol", "password": "password"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == -1100
    assert response.json()["field"] == "password"
    assert "too common" in response.json()["msg"]
    assert not User.objects.exists()


def test_registration_refuses_a_password_similar_to_the_username(client):
    response = client.post(REGISTER, {"username": "dorothea99", "password": "dorothea99"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "password"
    assert not User.objects.exists()


def test_registration_refuses_a_taken_username_ignoring_case(client):
    make_user("erin")
    response = client.post(REGISTER, {"username": "ERIN", "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json() == {"code": -1100, "msg": "username: This username is taken.", "field": "username"}
    assert User.objects.count() == 1


def test_registration_refuses_a_missing_username_with_code_1102(client):
    response = client.post(REGISTER, {"password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == -1102
    assert response.json()["field"] == "username"


def test_registration_refuses_illegal_username_characters(client):
    response = client.post(REGISTER, {"username": "al ice<script>", "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "username"
    assert not User.objects.exists()


def test_registration_refuses_a_bad_email(client):
    response = client.post(
        REGISTER, {"username": "frank", "password": PASSWORD, "email": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "email"
    assert not User.objects.exists()


def test_token_with_a_wrong_password_is_401_in_the_error_shape(client):
    make_user("gina")
    response = client.post(TOKEN, {"username": "gina", "password": "wrong"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == -1002
    assert set(response.json()) == {"code", "msg"}


def test_refresh_with_a_garbage_token_is_401_with_a_plain_message(client):
    response = client.post(REFRESH, {"refresh": "not-a-jwt"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == -1002
    assert response.json()["msg"] == "Token is invalid"


def test_me_with_an_invalid_bearer_token_is_401_with_a_plain_message(client):
    response = client.get(ME, headers={"Authorization": "Bearer abc.def.ghi"})
    assert response.status_code == 401
    assert response.json()["code"] == -1002
    assert response.json()["msg"] == "Given token not valid for any token type"
    assert "WWW-Authenticate" in response.headers


def test_me_without_credentials_is_401(client):
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json() == {"code": -1002, "msg": "Authentication credentials were not provided."}


def test_me_reports_session_authentication_with_all_scopes(client):
    user = make_user("hank")
    client.force_login(user)
    me = client.get(ME).json()
    assert me["auth"] == "session"
    assert me["scopes"] == ["READ", "TRADE"]
