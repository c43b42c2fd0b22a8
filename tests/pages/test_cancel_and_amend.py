"""Cancelling and reducing my orders with plain POST forms, and with the page's script (JSON)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from trading.models import Order

pytestmark = pytest.mark.django_db
TRADE = reverse("trade", args=["BTC-USD"])


@pytest.fixture
def resting(page, funded, engine):
    page.post(reverse("order-place", args=["BTC-USD"]),
              {"side": "BUY", "type": "LIMIT", "price": "100.00", "qty": "0.500", "tif": "GTC"})  # fmt: skip
    return Order.objects.get()


def test_cancel_without_javascript(page, resting):
    response = page.post(reverse("order-cancel", args=[resting.id]), {"next": TRADE}, follow=True)
    assert response.redirect_chain == [(TRADE, 302)]
    resting.refresh_from_db()
    assert resting.status == "CANCELED"
    html = response.content.decode()
    assert f"Order #{resting.id} canceled." in html
    open_orders = re.search(r'<table[^>]* id="open-orders".*?</table>', html, re.S).group(0)
    assert f'data-order-id="{resting.id}"' not in open_orders


def test_cancel_twice_says_the_order_is_closed(page, resting):
    page.post(reverse("order-cancel", args=[resting.id]))
    response = page.post(reverse("order-cancel", args=[resting.id]), {"next": TRADE}, follow=True)
    assert "was not canceled: This order is no longer open" in response.content.decode()


def test_another_users_order_cannot_be_canceled(bob_page, resting):
    response = bob_page.post(reverse("order-cancel", args=[resting.id]), HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert "does not exist (or is not yours)" in response.json()["message"]
    resting.refresh_from_db()
    assert resting.status == "NEW"


def test_next_must_stay_on_this_site(page, resting):
    response = page.post(reverse("order-cancel", args=[resting.id]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("orders")


def test_amend_reduces_the_open_amount(page, resting):
    response = page.post(
        reverse("order-amend", args=[resting.id]), {"qty": "0.2", "next": TRADE}, follow=True
    )
    resting.refresh_from_db()
    assert resting.remaining == Decimal("0.2")
    assert f"Order #{resting.id} reduced: 0.2 still open." in response.content.decode()


@pytest.mark.parametrize(
    ("qty", "words"),
    [
        ("0.9", "The new amount must be smaller than the amount still open"),
        ("0.0005", "Amount must be a multiple of 0.001 BTC (the lot size)."),
        ("x", "Enter a number, like 0.5."),
    ],
)
def test_a_refused_amend_says_why(page, resting, qty, words):
    response = page.post(
        reverse("order-amend", args=[resting.id]), {"qty": qty}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert words in response.json()["message"]
    resting.refresh_from_db()
    assert resting.remaining == Decimal("0.5")


def test_cancel_for_the_script_answers_json(page, resting):
    response = page.post(reverse("order-cancel", args=[resting.id]), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["order"]["status"] == "CANCELED"
