"""POST /api/v3/order/test: the same service as /api/v1/orders/test/ (trading.whatif), so refused
exactly as POST /api/v3/order would be, funds and engine rejections included; changes nothing."""

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.api_keys import api_key_create
from accounts.models import LedgerEntry
from tests.binance_compat.test_signing_and_refusals import body_of, post, signed_query
from tests.factories import fund
from trading.models import Order

pytestmark = pytest.mark.django_db
ORDER = {
    "symbol": "BTCUSD",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.1",
    "price": "100",
}


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()


@pytest.fixture
def key(alice, btc_usd, engine):
    fund(alice, "USD", "100")
    return api_key_create(user=alice, label="bot", scopes=["READ", "TRADE"])


def call(client: Client, key, path: str, **params):
    return post(client, f"{path}?{signed_query(key.secret, **params)}", key.api_key.key)


def test_an_acceptable_order_answers_an_empty_object_with_weight_one(client, key):
    response = call(client, key, "/api/v3/order/test", **ORDER)
    assert (response.status_code, body_of(response), response["X-MBX-USED-WEIGHT-1M"]) == (200, {}, "1")
    assert not Order.objects.exists() and "X-MBX-ORDER-COUNT-1M" not in response


def test_commission_rates_are_the_instruments_and_weigh_twenty(client, key):
    response = call(client, key, "/api/v3/order/test", computeCommissionRates="true", **ORDER)
    assert response.status_code == 200, response.content
    assert body_of(response)["standardCommissionForOrder"] == {"maker": "0.00100000", "taker": "0.00200000"}
    assert response["X-MBX-USED-WEIGHT-1M"] == "20"


@pytest.mark.parametrize(
    "overrides",
    [{"quantity": "10"}, {"price": "100.005"}, {"type": "LIMIT_MAKER", "timeInForce": None, "price": "100"},
     {"symbol": "DOGEUSD"}],
    ids=["funds", "tick", "maker-would-take", "symbol"],
)  # fmt: skip
def test_a_refusal_is_the_one_post_order_gets(client, key, bob, overrides):
    fund(bob, "BTC", "1")
    bob_key = api_key_create(user=bob, label="bot", scopes=["READ", "TRADE"])
    ask = {**ORDER, "side": "SELL", "quantity": "0.01"}
    assert call(client, bob_key, "/api/v3/order", **ask).status_code == 200  # an ask at 100
    params = {k: v for k, v in {**ORDER, **overrides}.items() if v is not None}
    ledger = LedgerEntry.objects.count()
    tested = call(client, key, "/api/v3/order/test", **params)
    assert LedgerEntry.objects.count() == ledger and Order.objects.count() == 1
    placed = call(client, key, "/api/v3/order", **params)
    assert tested.status_code == placed.status_code == 400
    assert body_of(tested) == body_of(placed)


def test_a_trailing_stop_is_tested_with_its_delta(client, key, engine):
    stop = {**ORDER, "type": "STOP_LOSS_LIMIT", "price": "110", "trailingDelta": "250"}
    response = call(client, key, "/api/v3/order/test", **stop)
    assert (response.status_code, body_of(response)) == (200, {})
    assert engine.calls[-1]["op"] == "test_place" and engine.calls[-1]["trailing_delta"] == 250
    refused = call(client, key, "/api/v3/order/test", **{**stop, "trailingDelta": "0"})
    assert body_of(refused) == {"code": -1013, "msg": "Filter failure: TRAILING_DELTA"}
    assert not Order.objects.exists()
