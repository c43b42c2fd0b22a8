"""A write takes its input from the body: an unknown query parameter is -1104, like an unknown body
field, and changes nothing (`POST /api/v1/orders/?test=true` placed a real order)."""

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey
from trading.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(alice) -> APIClient:
    client = APIClient()
    client.force_authenticate(alice)
    return client


ORDER = {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": "0.5", "price": "100"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/orders/?test=true", ORDER),
        ("patch", "/api/v1/orders/1/?dry_run=1", {"qty": "0.1"}),
        ("delete", "/api/v1/orders/1/?force=1", None),
        ("delete", "/api/v1/orders/?symbol=BTC-USD&all=1", None),
        ("post", "/api/v1/api-keys/?admin=1", {"scopes": ["READ"]}),
        ("post", "/api/v1/faucet/?x=1", {"asset": "USD", "amount": "1"}),
        (
            "post",
            "/api/v1/auth/register/?is_staff=1",
            {"username": "mallory", "password": "Long-enough-pw-1"},
        ),
    ],
)
def test_an_unknown_query_parameter_on_a_write_is_refused(api, btc_usd, method, path, body):
    response = getattr(api, method)(path, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == -1104
    assert not Order.objects.exists() and not ApiKey.objects.exists()


def test_cancel_all_still_takes_its_symbol_from_the_query(api, btc_usd, engine):
    response = api.delete("/api/v1/orders/?symbol=BTC-USD&side=BUY")
    assert response.status_code == 200, response.content


def test_a_method_the_endpoint_does_not_take_is_still_405(api):
    response = api.put("/api/v1/ledger/?asset=USD", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (405, -1107)
