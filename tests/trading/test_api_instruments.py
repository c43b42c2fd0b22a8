"""GET /api/v1/instruments/: public, every filter and fee, amounts with 8 decimals."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import make_instrument

pytestmark = pytest.mark.django_db
URL = reverse("api-instruments")


def test_instruments_are_listed_without_authentication(btc_usd):
    make_instrument("ETH-USD", status="HALTED")
    response = APIClient().get(URL)
    assert response.status_code == 200
    assert [i["symbol"] for i in response.json()] == ["BTC-USD", "ETH-USD"]
    assert response.json()[0] == {
        "symbol": "BTC-USD",
        "base": "BTC",
        "quote": "USD",
        "tick_size": "0.01000000",
        "lot_size": "0.00100000",
        "min_qty": "0.00100000",
        "max_qty": "1000.00000000",
        "min_notional": "1.00000000",
        "maker_fee": "0.00100000",
        "taker_fee": "0.00200000",
        "status": "TRADING",
    }
    assert response.json()[1]["status"] == "HALTED"


def test_credentials_are_ignored_on_the_public_list(btc_usd):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token", HTTP_X_QX_APIKEY="bad key")
    assert client.get(URL).status_code == 200


def test_the_list_takes_a_constant_number_of_queries(django_assert_max_num_queries):
    for symbol in ("BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD", "XRP-USD"):
        make_instrument(symbol)
    with django_assert_max_num_queries(1):
        assert len(APIClient().get(URL).json()) == 5


def test_unknown_query_parameters_are_refused(btc_usd):
    response = APIClient().get(URL, {"symbol": "BTC-USD"})
    assert (response.status_code, response.json()["code"]) == (400, -1104)


def test_writes_are_not_allowed(btc_usd):
    response = APIClient().post(URL, {}, format="json")
    assert (response.status_code, response.json()["code"]) == (405, -1107)
