"""Staff approve or reject withdrawals in admin (real admin POSTs); verify_ledger stays exact."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import Balance, LedgerEntry, StaffAction, Withdrawal
from accounts.withdrawals import withdrawal_request
from engine.worker.recovery import fee_user
from engine.worker.verify import ledger_verify
from tests.factories import fund, make_asset, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
CHANGELIST = reverse("admin:accounts_withdrawal_changelist")


@pytest.fixture
def staff(client):
    user = make_user("staffer", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def pending(alice, engine):
    btc = make_asset("BTC")
    btc.withdrawal_fee = Decimal("0.0005")
    btc.save()
    fund(alice, "BTC", "2")
    return [
        withdrawal_request(user=alice, asset_code="BTC", amount=Decimal(a), address="bc1qexample").withdrawal[
            "id"
        ]
        for a in ("0.5", "0.25")
    ]


def act(client, action, ids, **extra):
    return client.post(CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: ids, **extra}, follow=True)


def balance(user, code="BTC"):
    row = Balance.objects.get(user=user, asset__code=code)
    return row.free, row.locked


def ledger_exact():
    report = ledger_verify()
    assert report.ok, report.lines()


def test_staff_approve_completes_the_withdrawal_and_the_held_amount_leaves(client, staff, alice, pending):
    response = act(client, "approve", [pending[0]])
    assert response.status_code == 200 and b"1 withdrawal(s) decided" in response.content
    w = Withdrawal.objects.get(pk=pending[0])
    assert (w.status, w.decided_by_id) == ("COMPLETED", staff.pk)
    assert balance(alice) == (Decimal("1.25"), Decimal("0.25"))
    assert balance(fee_user()) == (Decimal("0.0005"), Decimal(0))
    out = LedgerEntry.objects.get(withdrawal_id=w.pk, reason="WITHDRAWAL")
    assert (out.delta_free, out.delta_locked, out.created_by_id) == (Decimal(0), Decimal("-0.4995"), staff.pk)
    assert LedgerEntry.objects.filter(withdrawal_id=w.pk, reason="FEE").count() == 2
    ledger_exact()
    report = ledger_verify()
    assert report.totals["BTC"] == (Decimal("1.5005"), Decimal("1.5005"))
    audit = StaffAction.objects.get(target_type="accounts.withdrawal", target_id=str(w.pk))
    assert (audit.actor_id, audit.action, audit.outcome) == (staff.pk, "WITHDRAWAL_APPROVE", "DONE")
    assert audit.details["status_before"] == "PENDING" and audit.details["status"] == "COMPLETED"


def test_reject_asks_for_a_reason_first_and_changes_nothing_until_given(client, staff, alice, pending):
    page = act(client, "reject", pending)
    assert page.status_code == 200 and b"Reject withdrawals" in page.content
    empty = act(client, "reject", pending, apply="1", reason="  ")
    assert b"This field is required" in empty.content
    assert set(Withdrawal.objects.values_list("status", flat=True)) == {"PENDING"}
    assert balance(alice) == (Decimal("1.25"), Decimal("0.75"))


def test_staff_reject_with_a_reason_releases_the_hold(client, staff, alice, pending):
    response = act(client, "reject", pending, apply="1", reason="address on a sanctions list")
    assert b"2 withdrawal(s) decided" in response.content
    rows = Withdrawal.objects.order_by("id")
    assert [(w.status, w.reason, w.decided_by_id) for w in rows] == [
        ("REJECTED", "address on a sanctions list", staff.pk)
    ] * 2
    assert balance(alice) == (Decimal("2"), Decimal(0))
    ledger_exact()
    audits = StaffAction.objects.filter(action="WITHDRAWAL_REJECT").order_by("target_id")
    assert [(a.target_id, a.actor_id, a.reason, a.outcome) for a in audits] == [
        (str(w), staff.pk, "address on a sanctions list", "DONE") for w in sorted(pending)
    ]


def test_a_decided_withdrawal_cannot_be_decided_again(client, staff, alice, pending):
    act(client, "approve", [pending[0]])
    response = act(client, "reject", [pending[0]], apply="1", reason="too late")
    assert b"skipped: no longer PENDING" in response.content
    assert Withdrawal.objects.get(pk=pending[0]).status == "COMPLETED"
    assert balance(alice) == (Decimal("1.25"), Decimal("0.25"))


def test_staff_without_the_permission_cannot_decide(client, alice, pending):
    clerk = make_user("clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_withdrawal"))
    client.force_login(clerk)
    assert client.get(CHANGELIST).status_code == 200  # may look
    act(client, "approve", [pending[0]])
    act(client, "reject", [pending[0]], apply="1", reason="no")
    assert Withdrawal.objects.get(pk=pending[0]).status == "PENDING"


def test_the_changelist_shows_withdrawals(client, staff, pending):
    response = client.get(CHANGELIST)
    assert response.status_code == 200 and b"bc1qexample" in response.content
