"""Staff credit and debit users from admin, with a mandatory note, idempotent on the operation id."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Balance, LedgerEntry
from tests.factories import fund, make_asset, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = make_user("staffer", is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


def adjust_url(user):
    return reverse("admin:accounts_user_adjust_balance", args=[user.pk])


def post(client, user, **data):
    form = {
        "asset": make_asset("USD").pk,
        "direction": "credit",
        "amount": "250.5",
        "note": "goodwill",
        "operation_id": "staff-op-1",
        **data,
    }
    return client.post(adjust_url(user), form)


def test_staff_credit_writes_a_ledger_entry_with_the_note(staff_client):
    alice = make_user("alice")
    response = post(staff_client, alice)
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(user=alice)
    assert (entry.reason, entry.delta_free, entry.note, entry.created_by.username) == (
        "ADJUSTMENT",
        Decimal("250.5"),
        "goodwill",
        "staffer",
    )
    assert Balance.objects.get(user=alice).free == Decimal("250.5")


def test_submitting_the_same_form_twice_credits_once(staff_client):
    alice = make_user("alice")
    post(staff_client, alice)
    post(staff_client, alice)
    assert LedgerEntry.objects.filter(user=alice).count() == 1
    assert Balance.objects.get(user=alice).free == Decimal("250.5")


def test_the_note_is_mandatory(staff_client):
    alice = make_user("alice")
    response = post(staff_client, alice, note="")
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_debit_beyond_the_free_balance_is_shown_and_nothing_changes(staff_client):
    alice = make_user("alice")
    fund(alice, "USD", "10")
    response = post(staff_client, alice, direction="debit", amount="10.01", operation_id="staff-op-2")
    assert response.status_code == 200
    assert "not enough USD free" in response.content.decode()
    assert Balance.objects.get(user=alice).free == Decimal("10")
    assert LedgerEntry.objects.filter(user=alice).count() == 1


def test_form_shows_current_balances_and_a_fresh_operation_id(staff_client):
    alice = make_user("alice")
    fund(alice, "BTC", "1.5")
    page = staff_client.get(adjust_url(alice)).content.decode()
    assert "1.50000000" in page
    assert 'name="operation_id" value="staff-' in page


def test_non_staff_cannot_open_the_adjustment_page(client):
    alice = make_user("alice")
    client.force_login(make_user("mallory"))
    response = client.get(adjust_url(alice))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_balances_and_ledger_are_read_only_in_admin(staff_client):
    alice = make_user("alice")
    fund(alice, "USD", "1")
    balance = Balance.objects.get(user=alice)
    response = staff_client.post(reverse("admin:accounts_balance_change", args=[balance.pk]), {"free": "999"})
    assert response.status_code == 403
    assert staff_client.get(reverse("admin:accounts_balance_add")).status_code == 403
    assert (
        staff_client.get(
            reverse("admin:accounts_ledgerentry_changelist") + "?reason__exact=DEPOSIT"
        ).status_code
        == 200
    )
    assert Balance.objects.get(user=alice).free == Decimal("1")


@pytest.mark.parametrize(
    "name",
    [
        "accounts_user",
        "accounts_asset",
        "accounts_balance",
        "accounts_ledgerentry",
        "accounts_apikey",
        "trading_instrument",
        "trading_order",
        "trading_trade",
        "trading_position",
    ],
)
def test_every_model_has_an_admin_list_page(staff_client, name):
    assert staff_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
