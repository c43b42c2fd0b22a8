"""The Withdraw form shows staff's per-asset controls: a suspended asset is not offered (and refused
clearly if posted anyway); minimum and maximum are shown as hints."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Asset, Balance, Withdrawal

pytestmark = pytest.mark.django_db


def option(html, code):
    return re.search(rf'<option value="{code}"[^>]*>[^<]*</option>', html).group(0)


def test_a_suspended_asset_is_shown_suspended_and_not_offered(page, funded):
    Asset.objects.filter(code="BTC").update(withdrawals_enabled=False)
    html = page.get(reverse("account")).content.decode()
    btc, usd = option(html, "BTC"), option(html, "USD")
    assert " disabled>" in btc and "BTC (withdrawals suspended)" in btc
    assert " disabled" not in usd
    assert '<li data-asset="BTC">BTC: withdrawals suspended</li>' in html


def test_the_minimum_and_maximum_are_hints_on_the_form(page, funded):
    Asset.objects.filter(code="BTC").update(withdrawal_min=Decimal("0.001"), withdrawal_max=Decimal("1.5"))
    html = page.get(reverse("account")).content.decode()
    assert 'data-max="1.5"' in option(html, "BTC")
    assert '<li data-asset="BTC">BTC: min 0.001, max 1.5 per withdrawal</li>' in html
    assert 'data-asset="USD">USD:' not in html  # no limits, no hint


def test_no_limits_no_hint_list(page, funded):
    assert 'id="withdraw-limits"' not in page.get(reverse("account")).content.decode()


@pytest.mark.parametrize(
    ("controls", "amount", "words"),
    [
        ({"withdrawals_enabled": False}, "0.5", "Nothing withdrawn: Withdrawals of BTC are suspended."),
        ({"withdrawal_max": Decimal("0.4")}, "0.5", "Nothing withdrawn: The largest BTC withdrawal is 0.4."),
    ],
)
def test_a_post_past_the_controls_says_why_and_moves_nothing(page, alice, funded, controls, amount, words):
    Asset.objects.filter(code="BTC").update(**controls)
    form = {"asset": "BTC", "amount": amount, "address": "bc1qexample"}
    html = page.post(reverse("withdrawal-create"), form, follow=True).content.decode()
    assert words in html, re.findall(r"Nothing withdrawn:[^<]*", html)
    row = Balance.objects.get(user=alice, asset__code="BTC")
    assert not Withdrawal.objects.exists() and (row.free, row.locked) == (Decimal("2"), Decimal(0))
