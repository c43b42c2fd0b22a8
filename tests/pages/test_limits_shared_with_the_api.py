"""One limit per action, whatever the door (ARCHITECTURE decision 11): the order form and the API
count orders on one counter, the admin login and the API's token endpoint count login attempts on
one counter, and the API key cap holds on the page too."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiKey
from tests.factories import PASSWORD, make_user
from tests.pages.test_order_forms import PLACE, limit
from trading.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(**overrides: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **overrides},
        }

    return set_rates


def order_body(**extra):
    return {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": "0.5", "price": "100", **extra}


def test_after_the_api_order_limit_the_order_form_places_nothing(page, alice, funded, engine, rates):
    rates(order_place="2/min")
    api = APIClient()
    api.force_authenticate(alice)
    assert [api.post("/api/v1/orders/", order_body(), format="json").status_code for _ in range(3)] == [
        201,
        201,
        429,
    ]
    response = page.post(PLACE, limit())
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "rate limit" in response.content.decode()
    json_answer = page.post(PLACE, limit(), headers={"Accept": "application/json"})
    assert json_answer.status_code == 429
    assert Order.objects.count() == 2


def test_orders_from_the_form_count_against_the_api_limit(page, alice, funded, engine, rates):
    rates(order_place="2/min")
    for _ in range(2):
        assert page.post(PLACE, limit()).status_code == 302
    api = APIClient()
    api.force_authenticate(alice)
    refused = api.post("/api/v1/orders/", order_body(), format="json")
    assert (refused.status_code, refused.json()["code"]) == (429, -1003)
    assert Order.objects.count() == 2


def test_admin_login_shares_the_login_limit_with_the_api(rates):
    rates(login="3/min")
    make_user("root", is_staff=True, is_superuser=True)
    api = APIClient()
    for _ in range(2):
        assert (
            api.post("/api/v1/auth/token/", {"username": "root", "password": "x"}, format="json").status_code
            == 401
        )
    browser = Client()
    assert (
        browser.post("/admin/login/", {"username": "root", "password": "x"}).status_code == 200
    )  # form again
    refused = browser.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "_auth_user_id" not in browser.session
    assert (
        api.post("/api/v1/auth/token/", {"username": "root", "password": PASSWORD}, format="json").status_code
        == 429
    )


def test_admin_login_still_logs_staff_in_under_the_limit():
    make_user("root", is_staff=True, is_superuser=True)
    browser = Client()
    response = browser.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert browser.get("/admin/").status_code == 200


def test_the_api_keys_page_refuses_a_key_over_the_cap(page, alice, settings):
    settings.API_KEYS_MAX_PER_USER = 1
    url = "/accounts/api-keys/"
    assert page.post(url, {"label": "one", "scopes": ["READ"]}).status_code == 200
    refused = page.post(url, {"label": "two", "scopes": ["READ"]})
    assert refused.status_code == 400
    assert "At most 1 active API keys" in refused.content.decode()
    assert ApiKey.objects.count() == 1
