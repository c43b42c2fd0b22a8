"""The balances page's Withdraw form and withdrawals history (with Cancel for PENDING ones)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Balance, Withdrawal

pytestmark = pytest.mark.django_db


def btc(user):
    row = Balance.objects.get(user=user, asset__code="BTC")
    return row.free, row.locked


def form_id(html):
    return re.search(r'name="client_withdrawal_id" value="(\w+)"', html).group(1)


def test_the_balances_page_has_a_withdraw_form_with_max(page, funded):
    html = page.get(reverse("account")).content.decode()
    assert 'id="withdraw-form"' in html and 'id="withdraw-max"' in html
    assert 'data-asset="BTC" data-free="2.00"' in html  # what Max fills in
    assert "No withdrawals yet." in html


def test_withdrawing_holds_the_amount_and_lists_it_with_cancel(page, alice, funded):
    client_id = form_id(page.get(reverse("account")).content.decode())
    body = {"asset": "BTC", "amount": "0.5", "address": "bc1qexample", "client_withdrawal_id": client_id}
    response = page.post(reverse("withdrawal-create"), body, follow=True)
    html = response.content.decode()
    assert "Requested: withdrawal of 0.5 BTC to bc1qexample, pending approval." in html
    assert btc(alice) == (Decimal("1.5"), Decimal("0.5"))
    w = Withdrawal.objects.get()
    row = re.search(rf'<tr data-withdrawal-id="{w.id}".*?</tr>', html, re.S).group(0)
    assert "Pending" in row and "Cancel withdrawal" in row
    page.post(reverse("withdrawal-create"), body, follow=True)  # a double submit withdraws once
    assert Withdrawal.objects.count() == 1 and btc(alice) == (Decimal("1.5"), Decimal("0.5"))

    response = page.post(reverse("withdrawal-cancel", args=[w.id]), follow=True)
    html = response.content.decode()
    assert f"Withdrawal {w.id} canceled; its amount is free again." in html
    row = re.search(rf'<tr data-withdrawal-id="{w.id}".*?</tr>', html, re.S).group(0)
    assert "Canceled" in row and "Cancel withdrawal" not in row
    assert btc(alice) == (Decimal("2"), Decimal(0))


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"amount": "3"}, "Not enough available balance"),
        ({"amount": "abc"}, "Amount:"),
        ({"amount": ""}, "Amount:"),
        ({"address": "two words"}, "Address:"),
    ],
)
def test_a_refused_withdrawal_says_why_and_moves_nothing(page, alice, funded, body, words):
    form = {"asset": "BTC", "amount": "0.5", "address": "bc1qexample", **body}
    response = page.post(reverse("withdrawal-create"), form, follow=True)
    html = response.content.decode()
    assert "Nothing withdrawn:" in html and words in html, re.findall(r"Nothing withdrawn:[^<]*", html)
    assert not Withdrawal.objects.exists() and btc(alice) == (Decimal("2"), Decimal(0))


def test_i_cannot_cancel_someone_elses_withdrawal(page, bob_page, bob, funded):
    bob_page.post(reverse("withdrawal-create"), {"asset": "BTC", "amount": "1", "address": "bc1qbob"})
    w = Withdrawal.objects.get()
    response = page.post(reverse("withdrawal-cancel", args=[w.id]), HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "does not exist" in response.json()["message"].lower()
    assert Withdrawal.objects.get().status == "PENDING" and btc(bob) == (Decimal("1"), Decimal("1"))
