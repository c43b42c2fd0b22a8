"""The trading page's order estimate (POST /markets/<SYMBOL>/order/test/, trading/page_whatif.py):
the order form's fields tested through the test-order service, answered in a line; a refusal is an
answer (200, ok false) in the words the form's own POST would use; nothing changes."""

import pytest
from django.urls import reverse

from accounts.models import LedgerEntry
from trading.models import Order

pytestmark = pytest.mark.django_db
PLACE = reverse("order-place", args=["BTC-USD"])
ESTIMATE = reverse("order-test", args=["BTC-USD"])
JSON = {"HTTP_ACCEPT": "application/json"}


def form(**overrides):
    fields = {"side": "BUY", "type": "LIMIT", "price": "101.00", "qty": "0.600", "tif": "GTC"}
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


@pytest.fixture
def asks(bob_page, funded):
    """Bob's asks: 0.2 at 100.00 and 0.3 at 101.00."""
    for price, qty in (("100.00", "0.200"), ("101.00", "0.300")):
        assert bob_page.post(PLACE, form(side="SELL", price=price, qty=qty), **JSON).status_code == 200


def test_a_crossing_limit_buy_is_estimated_in_a_line(page, asks):
    orders, ledger = Order.objects.count(), LedgerEntry.objects.count()
    response = page.post(ESTIMATE, form(), **JSON)
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["text"] == ("Would fill 0.5 BTC at avg 100.6 USD, fee 0.001 BTC · rests 0.1 BTC at 101 USD "
                            "· holds 60.6 USD.")  # fmt: skip
    assert body["estimate"]["locked_after"] == "10.1"
    assert (Order.objects.count(), LedgerEntry.objects.count()) == (orders, ledger)


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"price": "99.00"}, "Would rest 0.6 BTC at 99 USD · holds 59.4 USD."),
        ({"tif": "FOK"}, "Would expire: fill or kill: it could not fill completely at once · holds 60.6 USD."),
        # 60 USD: 20 buy 0.2 at 100, 30.3 buy the 0.3 at 101; the book is then empty
        ({"type": "MARKET", "price": "", "tif": "", "qty": "", "quote_qty": "60"},
         "Would fill 0.5 BTC at avg 100.6 USD, fee 0.001 BTC · the rest expires: not enough orders in the book "
         "for the rest · holds 60 USD."),
        ({"type": "STOP_LOSS_LIMIT", "side": "SELL", "stop_price": "95.00", "price": "94.00", "qty": "0.5"},
         "Would wait for the stop price, then 0.5 BTC at 94 USD · holds 0.5 BTC."),
    ],
    ids=["rests", "fok", "market-by-total", "stop"],
)  # fmt: skip
def test_each_kind_of_order_is_told_in_words(page, asks, overrides, text):
    body = page.post(ESTIMATE, form(**overrides), **JSON).json()
    assert (body["ok"], body["text"]) == (True, text)


@pytest.mark.parametrize(
    "overrides",
    [{"qty": "500.000"}, {"price": "100.005"}, {"type": "LIMIT_MAKER", "tif": "", "price": "100.00"}],
)
def test_a_refusal_is_answered_in_the_words_the_form_would_show(page, asks, overrides):
    estimate = page.post(ESTIMATE, form(**overrides), **JSON)
    assert estimate.status_code == 200 and estimate.json()["ok"] is False
    placed = page.post(PLACE, form(**overrides), **JSON)
    assert placed.status_code == 400
    words = placed.json()["message"] or " ".join(w for errs in placed.json()["errors"].values() for w in errs)
    assert estimate.json()["text"] == words
    assert estimate.json()["reason"] == placed.json()["reason"]


def test_logged_out_visitors_get_no_estimate(client, btc_usd, engine):
    assert client.post(ESTIMATE, form(), **JSON).status_code == 401
    assert engine.calls == []
