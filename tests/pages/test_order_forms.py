"""Placing orders from the trading page without JavaScript (plain POST forms) and with it (JSON):
the API's validation and service, errors in words next to the field, typed values kept."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_user
from trading.models import Order

pytestmark = pytest.mark.django_db
PLACE = reverse("order-place", args=["BTC-USD"])
TRADE = reverse("trade", args=["BTC-USD"])


def limit(**overrides):
    form = {"side": "BUY", "type": "LIMIT", "price": "100.00", "qty": "0.500", "tif": "GTC",
            "client_order_id": "", "next": TRADE}  # fmt: skip
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def test_a_limit_order_placed_without_javascript_is_in_my_open_orders(page, funded, engine):
    response = page.post(PLACE, limit(), follow=True)
    assert response.redirect_chain == [(TRADE, 302)]
    order = Order.objects.get()
    assert (order.side, order.status, order.price, order.remaining) == ("BUY", "NEW", 100, 0.5)
    html = response.content.decode()
    assert f"Buy limit order #{order.id} placed: 0.5 BTC at 100 USD." in html
    assert f'data-order-id="{order.id}"' in html
    assert engine.calls[-1]["op"] == "place"


def test_a_fill_is_reported_in_words(page, bob_page, funded, engine):
    bob_page.post(PLACE, limit(side="SELL"))
    response = page.post(PLACE, limit(), follow=True)
    assert "filled: 0.5 BTC at an average 100 USD." in response.content.decode()
    assert Order.objects.filter(status="FILLED").count() == 2


def test_a_refused_order_says_why_in_words_and_keeps_what_was_typed(page, funded, engine):
    response = page.post(PLACE, limit(qty="500.000", price="100.00"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not enough USD available for this order." in html
    assert 'value="500.000"' in html and 'value="100.00"' in html
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"price": "100.005"}, "Price must be a multiple of 0.01 USD (the tick size)."),
        ({"qty": "0.0005"}, "Amount must be a multiple of 0.001 BTC (the lot size)."),
        ({"qty": "0.001", "price": "0.01"}, "Order value (price × amount) must be at least 1 USD."),
        ({"qty": "abc"}, "Enter a number, like 0.5."),
        ({"qty": "-1"}, "Must be greater than zero."),
        ({"qty": "0.123456789"}, "Use at most 8 decimal places."),
        ({"price": ""}, "Price is required here."),
        ({"type": "MARKET", "qty": "0.1"}, "Price does not apply to this order type: leave it empty."),
        ({"stop_price": "90"}, "Stop price does not apply to this order type: leave it empty."),
    ],
)
def test_invalid_input_is_refused_before_the_engine_with_words(page, funded, engine, overrides, words):
    response = page.post(PLACE, limit(**overrides))
    assert response.status_code == 400
    assert words in response.content.decode()
    assert [c for c in engine.calls if c["op"] == "place"] == []


def test_a_market_order_without_javascript_ignores_the_default_time_in_force(page, bob_page, funded, engine):
    bob_page.post(PLACE, limit(side="SELL", qty="0.200"))
    response = page.post(PLACE, limit(type="MARKET", price="", qty="0.200", tif="GTC"), follow=True)
    assert "Buy market order" in response.content.decode()
    assert Order.objects.get(type="MARKET").status == "FILLED"


def test_a_limit_maker_that_would_trade_is_rejected_and_the_form_gets_a_new_order_id(
    page, bob_page, funded, engine
):
    bob_page.post(PLACE, limit(side="SELL"))
    response = page.post(PLACE, limit(type="LIMIT_MAKER", tif=None, client_order_id="web-first"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "a post-only (limit maker) order may not trade at once" in html
    assert Order.objects.get(client_order_id="web-first").status == "REJECTED"
    new_id = re.search(r'name="client_order_id" value="([^"]+)"', html).group(1)
    assert new_id != "web-first"


def test_submitting_the_same_form_twice_places_one_order(page, funded, engine):
    page.post(PLACE, limit(client_order_id="web-double"))
    response = page.post(PLACE, limit(client_order_id="web-double"), follow=True)
    assert Order.objects.count() == 1
    assert "was already placed by this form; nothing new was sent." in response.content.decode()


def test_the_form_carries_a_fresh_client_order_id_each_time(page, funded):
    ids = {re.search(r'name="client_order_id" value="([^"]+)"', page.get(TRADE).content.decode()).group(1)
           for _ in range(2)}  # fmt: skip
    assert len(ids) == 2


def test_status_unknown_keeps_the_client_order_id_so_a_retry_cannot_duplicate(page, funded, engine):
    engine.lose_reply = True
    response = page.post(PLACE, limit(client_order_id="web-retry"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "not known yet whether this went through" in html
    assert 'value="web-retry"' in html
    engine.lose_reply = False
    page.post(PLACE, limit(client_order_id="web-retry"))
    assert Order.objects.filter(client_order_id="web-retry").count() == 1


def test_the_script_gets_the_same_answers_as_json(page, funded, engine):
    ok = page.post(PLACE, limit(), HTTP_ACCEPT="application/json")
    assert ok.status_code == 200
    assert ok.json()["ok"] is True and ok.json()["order"]["status"] == "NEW"
    refused = page.post(PLACE, limit(price="100.005"), HTTP_ACCEPT="application/json")
    assert refused.status_code == 400
    body = refused.json()
    assert body["errors"] == {"price": ["Price must be a multiple of 0.01 USD (the tick size)."]}
    assert body["reason"] == "FILTER_TICK_SIZE"


def test_placing_needs_a_login(client, btc_usd):
    response = client.post(PLACE, limit())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.post(PLACE, limit(), HTTP_ACCEPT="application/json").status_code == 401


def test_placing_needs_the_csrf_token(funded):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("carol"))
    assert strict.post(PLACE, limit()).status_code == 403


def test_a_halted_market_refuses_orders_in_words(page, funded, btc_usd):
    btc_usd.status = "HALTED"
    btc_usd.save()
    response = page.post(PLACE, limit())
    assert "Trading in BTC-USD is halted" in response.content.decode()


def test_a_stop_limit_order_waits_for_its_stop_price(page, bob_page, funded, engine):
    bob_page.post(PLACE, limit(side="SELL", qty="0.100"))
    page.post(PLACE, limit(qty="0.100"))  # a trade at 100: the market's last price
    response = page.post(PLACE, limit(side="SELL", type="STOP_LOSS_LIMIT", stop_price="90.00", price="89.00",
                                      qty="0.100"), follow=True)  # fmt: skip
    assert "placed: waits for the stop price 90 USD, then 0.1 BTC at 89 USD." in response.content.decode()
    assert Order.objects.get(type="STOP_LOSS_LIMIT").status == "NEW"


def test_a_stop_that_would_trigger_at_once_is_rejected_in_words(page, bob_page, funded, engine):
    bob_page.post(PLACE, limit(side="SELL", qty="0.100"))
    page.post(PLACE, limit(qty="0.100"))
    response = page.post(PLACE, limit(side="SELL", type="STOP_LOSS_LIMIT", stop_price="110.00", price="109.00",
                                      qty="0.100"))  # fmt: skip
    assert response.status_code == 400
    assert "the market is already past this stop price" in response.content.decode()
