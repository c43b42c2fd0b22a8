"""The dead-man's switch on the orders page: the armed timers with their time left, a form to arm
one and a button to disarm it (plain POST forms; JSON for scripts)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from engine.models import CancelTimer
from tests.factories import make_order

pytestmark = pytest.mark.django_db
ORDERS = reverse("orders")
ARM = reverse("cancel-after")


def panel(html: str) -> str:
    return re.search(r'<section class="deadman".*?</section>', html, re.S).group(0)


def test_the_orders_page_says_no_timer_is_armed(page, btc_usd):
    html = panel(page.get(ORDERS).content.decode())
    assert "No timer armed." in html
    assert '<option value="BTC-USD">BTC-USD</option>' in html


def test_arming_shows_the_timer_with_its_time_left_and_disarming_removes_it(page, alice, btc_usd, engine):
    response = page.post(ARM, {"seconds": "60", "symbol": "BTC-USD", "next": ORDERS}, follow=True)
    assert response.redirect_chain == [(ORDERS, 302)]
    html = response.content.decode()
    assert "Your open orders on BTC-USD will be canceled in 60 s unless you re-arm it." in html
    row = re.search(r'<tr data-kind="CANCEL_AFTER">.*?</tr>', panel(html), re.S).group(0)
    deadline = CancelTimer.objects.get(user=alice).deadline_ms
    assert f'data-deadline-ms="{deadline}"' in row and "BTC-USD" in row
    assert re.search(r">(59|60) s<", row)
    response = page.post(ARM, {"seconds": "0", "symbol": "BTC-USD", "next": ORDERS}, follow=True)
    assert "Dead-man&#x27;s switch on BTC-USD disarmed." in response.content.decode()
    assert "No timer armed." in panel(response.content.decode())


@pytest.mark.parametrize("seconds", ["", "abc", "-5", "601", "1.5"])
def test_a_bad_number_of_seconds_is_explained_and_nothing_is_armed(page, btc_usd, engine, seconds):
    response = page.post(ARM, {"seconds": seconds, "next": ORDERS}, follow=True)
    assert "Cancel after: enter 1 to 600 seconds." in response.content.decode()
    assert engine.calls == [] and not CancelTimer.objects.exists()


def test_the_script_gets_json(page, btc_usd, engine):
    response = page.post(ARM, {"seconds": "30"}, HTTP_ACCEPT="application/json")
    body = response.json()
    assert (response.status_code, body["ok"], body["symbol"], body["timeout_ms"]) == (200, True, None, 30_000)
    unknown = page.post(ARM, {"seconds": "30", "symbol": "DOGE-USD"}, HTTP_ACCEPT="application/json")
    assert unknown.status_code == 400 and unknown.json()["ok"] is False


def test_an_order_the_switch_canceled_says_why(page, alice, btc_usd):
    make_order(alice, btc_usd, status="CANCELED", remaining=Decimal(0), reason="CANCEL_AFTER")
    assert "dead-man&#x27;s switch: its countdown ran out" in page.get(ORDERS).content.decode()


def test_arming_needs_a_login(client, btc_usd):
    assert client.post(ARM, {"seconds": "30"}).status_code == 302
    assert not CancelTimer.objects.exists()


def test_staff_see_the_timers_read_only_in_the_admin(page, alice, btc_usd, engine, admin_client):
    page.post(ARM, {"seconds": "60"})
    listing = admin_client.get("/admin/engine/canceltimer/")
    assert listing.status_code == 200 and "alice" in listing.content.decode()
    timer = CancelTimer.objects.get()
    assert admin_client.get(f"/admin/engine/canceltimer/{timer.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/engine/canceltimer/add/").status_code == 403
