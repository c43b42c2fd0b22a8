"""Sign up, log in and log out in the browser pages (CSRF on, throttled like the API)."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_signup_creates_the_account_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "carol",
            "email": "c@x.test",
            "password1": "tulip-orange-42",
            "password2": "tulip-orange-42",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(username="carol").exists()
    assert client.get(reverse("home")).context["user"].username == "carol"


def test_signup_keeps_what_was_typed_when_the_password_is_weak(client):
    response = client.post(
        reverse("signup"), {"username": "carol", "email": "c@x.test", "password1": "123", "password2": "123"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="carol"' in page
    assert "too short" in page
    assert not User.objects.filter(username="carol").exists()


def test_login_and_logout(client):
    make_user("dave")
    assert client.post(reverse("login"), {"username": "dave", "password": PASSWORD}).status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_login_page_needs_the_csrf_token():
    make_user("dave")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("login"), {"username": "dave", "password": PASSWORD}).status_code == 403


def test_password_guessing_on_the_login_page_is_throttled(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "3/min"},
    }
    make_user("dave")
    codes = [
        client.post(reverse("login"), {"username": "dave", "password": "wrong"}).status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    response = client.post(reverse("login"), {"username": "dave", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many login attempts" in response.content.decode()
    assert int(response["Retry-After"]) >= 1
