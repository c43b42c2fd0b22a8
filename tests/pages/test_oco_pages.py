"""OCO lists and trailing stops on the trader pages (plain POST forms): the trading page places a
list and a trailing stop, the orders page shows lists with their legs and cancels a list."""

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


def test_a_list_with_prices_on_the_wrong_sides_is_refused_in_words(page, funded):
    response = page.post(OCO, oco(**{"oco-limit_price": "80"}), follow=True)
    assert "take-profit price must be above the stop price" in response.content.decode()
    assert not OrderList.objects.exists()


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
