"""OCO lists and trailing stops on the trader pages (plain POST forms): the trading page places a
list and a trailing stop, the orders page shows lists with their legs and cancels a list."""

import re

import pytest
from django.urls import reverse

from trading.models import Order, OrderList

pytestmark = pytest.mark.django_db
TRADE = reverse("trade", args=["BTC-USD"])
OCO = reverse("order-list-place", args=["BTC-USD"])
ORDERS = reverse("orders")


def oco(**overrides):
    form = {"oco-side": "SELL", "oco-qty": "0.5", "oco-limit_price": "120", "oco-stop_price": "90",
            "oco-stop_limit_price": "89", "oco-trailing_delta": "", "oco-client_list_id": "web-oco-1"}  # fmt: skip
    form.update(overrides)
    return form


def test_the_trading_page_offers_oco_and_a_trailing_delta(page, funded):
    html = page.get(TRADE).content.decode()
    assert 'id="oco-form"' in html and f'action="{OCO}"' in html
    assert 'name="trailing_delta"' in html


def test_a_sell_list_placed_from_the_trading_page(page, funded):
    response = page.post(OCO, oco(), follow=True)
    assert response.redirect_chain == [(TRADE, 302)]
    lst = OrderList.objects.get()
    assert f"OCO list #{lst.id} placed" in response.content.decode()
    legs = {o.type: o for o in Order.objects.filter(order_list=lst)}
    assert (legs["LIMIT_MAKER"].price, legs["STOP_LOSS_LIMIT"].stop_price) == (120, 90)


def test_a_buy_list_with_a_trailing_stop_from_the_trading_page(page, funded, bob_page):
    page.post(OCO, oco(**{"oco-side": "BUY", "oco-limit_price": "80", "oco-stop_price": "",
                          "oco-trailing_delta": "150", "oco-stop_limit_price": "130"}))  # fmt: skip
    stop = Order.objects.get(type="STOP_LOSS_LIMIT")
    assert (stop.side, stop.trailing_delta, stop.stop_price) == ("BUY", 150, None)


def oco_error(html):
    """The error box at the top of the OCO section, or None."""
    found = re.search(r'<div class="form-error" role="alert" id="oco-error">(.*?)</div>', html)
    return found and found.group(1)


def field_errors(html, name):
    """The errors shown in the OCO form's field `name` (its `.field` block)."""
    block = re.search(rf'<div class="field">(?:(?!<div class="field">).)*?name="oco-{name}".*?(?=<div class="field">|<button)',
                      html, re.S).group(0)  # fmt: skip
    return re.findall(r'<p class="field-error" role="alert">(.*?)</p>', block)


def client_list_id(html):
    return re.search(r'name="oco-client_list_id" value="([^"]*)"', html).group(1)


def test_a_list_with_prices_on_the_wrong_sides_is_refused_in_words_on_the_page_again(page, funded, engine):
    response = page.post(OCO, oco(**{"oco-limit_price": "80"}))
    assert response.status_code == 400  # no redirect: the page again, as the main form answers a refusal
    html = response.content.decode()
    assert '<details class="oco-box" id="oco" open>' in html
    assert "For a sell the take-profit price must be above the stop price; for a buy, below." in oco_error(
        html
    )
    for name, value in (
        ("qty", "0.5"),
        ("limit_price", "80"),
        ("stop_price", "90"),
        ("stop_limit_price", "89"),
    ):
        assert re.search(rf'name="oco-{name}" value="{re.escape(value)}"', html), name
    assert re.search(r'type="radio" name="oco-side" value="SELL"[^>]*checked', html)
    assert client_list_id(html) == "web-oco-1"  # nothing stored: the same id for the retry
    assert not OrderList.objects.exists()
    assert [c for c in engine.calls if c["op"] == "place_oco"] == []


def test_a_refused_field_is_named_next_to_it_and_the_main_form_stays_fresh(page, funded, engine):
    response = page.post(OCO, oco(**{"oco-limit_price": "120.005", "oco-qty": "abc"}))
    assert response.status_code == 400
    html = response.content.decode()
    assert field_errors(html, "qty") == ["Enter a number, like 0.5."]
    assert field_errors(html, "stop_price") == []
    assert oco_error(html) is None
    assert re.search(r'name="oco-qty" value="abc"[^>]*autofocus', html)
    assert 'id="order-error" hidden' in html  # the main order form is not the one refused
    response = page.post(OCO, oco(**{"oco-limit_price": "120.005"}))
    html = response.content.decode()
    assert field_errors(html, "limit_price") == [
        "Limit price must be a multiple of 0.01 USD (the tick size)."
    ]
    assert not OrderList.objects.exists()


def test_a_bad_hidden_list_id_is_said_at_the_top_not_lost(page, funded, engine):
    response = page.post(OCO, oco(**{"oco-client_list_id": "x" * 200}))
    assert response.status_code == 400
    assert "List id: " in oco_error(response.content.decode())
    assert not OrderList.objects.exists()


def test_a_list_the_engine_rejected_renews_the_client_list_id(page, bob_page, funded, engine):
    bob_page.post(reverse("order-place", args=["BTC-USD"]),
                  {"side": "BUY", "type": "LIMIT", "price": "125", "qty": "0.5", "tif": "GTC", "next": TRADE})  # fmt: skip
    response = page.post(OCO, oco())  # its take profit at 120 would trade with bob's bid at 125
    assert response.status_code == 400
    html = response.content.decode()
    assert "a post-only (limit maker) order may not trade at once" in oco_error(html)
    assert OrderList.objects.get(client_list_id="web-oco-1").status == "REJECTED"
    assert client_list_id(html) not in ("", "web-oco-1")
    assert 'name="oco-limit_price" value="120"' in html


def test_status_unknown_keeps_the_client_list_id_so_a_retry_cannot_place_it_twice(page, funded, engine):
    engine.lose_reply = True
    response = page.post(OCO, oco())
    assert response.status_code == 400
    html = response.content.decode()
    assert "not known yet whether this went through" in oco_error(html)
    assert client_list_id(html) == "web-oco-1"
    engine.lose_reply = False
    retry = page.post(OCO, oco(), follow=True)
    assert "was already placed by this form; nothing new was sent." in retry.content.decode()
    assert OrderList.objects.filter(client_list_id="web-oco-1").count() == 1
    assert Order.objects.count() == 2


def test_a_script_gets_the_refusal_as_json(page, funded):
    response = page.post(OCO, oco(**{"oco-limit_price": "120.005"}), HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {"limit_price": ["Limit price must be a multiple of 0.01 USD (the tick size)."]}
    assert (body["ok"], body["client_list_id"]) == (False, "web-oco-1")


def test_the_oco_inputs_have_phone_hints(page, funded):
    html = page.get(TRADE).content.decode()
    for name in ("qty", "limit_price", "stop_price", "stop_limit_price"):
        assert re.search(rf'name="oco-{name}"[^>]*autocomplete="off"[^>]*inputmode="decimal"|'
                         rf'name="oco-{name}"[^>]*inputmode="decimal"[^>]*autocomplete="off"', html), name  # fmt: skip
    assert re.search(r'name="oco-trailing_delta"[^>]*inputmode="numeric"', html)
    assert '<details class="oco-box" id="oco">' in html  # closed until a refusal shows it again


def test_a_trailing_stop_order_from_the_main_form(page, funded):
    form = {"side": "SELL", "type": "STOP_LOSS_LIMIT", "price": "90", "qty": "0.1", "trailing_delta": "200",
            "tif": "GTC", "client_order_id": "", "next": TRADE}  # fmt: skip
    response = page.post(reverse("order-place", args=["BTC-USD"]), form, follow=True)
    assert response.redirect_chain == [(TRADE, 302)]
    order = Order.objects.get()
    assert order.trailing_delta == 200
    assert f"Sell stop-loss limit order #{order.id} placed: trails the market by 200 basis points" in (
        response.content.decode()
    )


def test_a_bad_trailing_delta_is_refused_in_words(page, funded):
    form = {"side": "SELL", "type": "STOP_LOSS_LIMIT", "price": "90", "qty": "0.1", "trailing_delta": "0",
            "tif": "GTC", "client_order_id": "", "next": TRADE}  # fmt: skip
    response = page.post(reverse("order-place", args=["BTC-USD"]), form)
    assert response.status_code == 400
    assert "whole number of basis points from 1 to 2000" in response.content.decode()
    assert not Order.objects.exists()


def test_the_orders_page_shows_lists_with_their_legs_and_cancels_one(page, funded):
    page.post(OCO, oco())
    lst = OrderList.objects.get()
    html = page.get(ORDERS).content.decode()
    assert f'data-order-list-id="{lst.id}"' in html and "Cancel list" in html
    assert f"OCO #{lst.id}" in html
    response = page.post(reverse("order-list-cancel", args=[lst.id]), {"next": ORDERS}, follow=True)
    assert f"OCO list #{lst.id} canceled." in response.content.decode()
    lst.refresh_from_db()
    assert lst.status == "ALL_DONE"
    assert set(Order.objects.values_list("status", flat=True)) == {"CANCELED"}


def test_another_users_list_cannot_be_canceled_from_the_page(bob_page, page, funded):
    page.post(OCO, oco())
    lst = OrderList.objects.get()
    response = bob_page.post(reverse("order-list-cancel", args=[lst.id]), {"next": ORDERS}, follow=True)
    assert "was not canceled" in response.content.decode()
    lst.refresh_from_db()
    assert lst.status == "EXECUTING"
