"""The ledger page says what each entry is in words, a withdrawal's entries with a link to the
withdrawal on the balances page; the reason filter lists the same words (CSV keeps the codes)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.ledger_words import LEDGER_REASON_WORDS
from accounts.models import LedgerReason
from accounts.withdrawals import withdrawal_approve, withdrawal_reject, withdrawal_request
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def reasons_on(html):
    """(reason code, cell text without tags) of each ledger row, newest first."""
    cells = re.findall(r'<td data-reason="(\w+)">(.*?)</td>', html, re.S)
    return [(code, re.sub(r"<[^>]+>", "", text).strip()) for code, text in cells]


def withdraw(user, amount, cid):
    return withdrawal_request(
        user=user, asset_code="BTC", amount=Decimal(amount), address="bc1qexample", client_withdrawal_id=cid
    ).withdrawal


def test_every_ledger_reason_has_words():
    assert set(LEDGER_REASON_WORDS) == set(LedgerReason)


def test_a_withdrawals_entries_read_as_words_with_a_link(page, alice, funded):
    staff = make_user("staff", is_staff=True)
    rejected = withdraw(alice, "0.1", "w-1")
    withdrawal_reject(staff_user=staff, withdrawal_id=rejected["id"], reason="address on a sanctions list")
    sent = withdraw(alice, "0.2", "w-2")
    withdrawal_approve(staff_user=staff, withdrawal_id=sent["id"])
    html = page.get(reverse("ledger"), {"asset": "BTC"}).content.decode()
    assert reasons_on(html)[:4] == [
        ("WITHDRAWAL", f"Withdrawal sent withdrawal #{sent['id']}"),
        ("WITHDRAWAL_HOLD", f"Held for a withdrawal withdrawal #{sent['id']}"),
        ("WITHDRAWAL_RELEASE", f"Withdrawal returned withdrawal #{rejected['id']}"),
        ("WITHDRAWAL_HOLD", f"Held for a withdrawal withdrawal #{rejected['id']}"),
    ]
    assert f'href="{reverse("account")}#withdrawal-{sent["id"]}"' in html
    assert "rejected: address on a sanctions list" in html  # the staff's reason, in the note
    balances = page.get(reverse("account")).content.decode()
    assert f'id="withdrawal-{sent["id"]}"' in balances  # where the link lands


def test_the_reason_filter_lists_words(page, funded):
    html = page.get(reverse("ledger"), {"reason": "WITHDRAWAL_RELEASE"}).content.decode()
    assert '<option value="WITHDRAWAL_RELEASE" selected>Withdrawal returned</option>' in html
    assert '<option value="ADJUSTMENT">Adjustment by the exchange</option>' in html
