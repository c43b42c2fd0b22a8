"""Every staff action taken in admin leaves an audit record (who, when, what, why, outcome), through
real admin POSTs; force-cancels need a reason and end the order STAFF_CANCELED; nobody can edit or
delete the trail."""

import json
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import StaffAction
from engine.client import EngineUnavailable
from tests.engine.helpers import market_with_traders, place
from tests.factories import make_asset, make_user
from trading.models import Instrument, Order

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]  # (the search reads JSON as text: both databases)

INSTRUMENTS = reverse("admin:trading_instrument_changelist")
ORDERS = reverse("admin:trading_order_changelist")


@pytest.fixture
def staff(client):
    user = make_user("sam", is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


def action(client, url, name, ids, reason=None):
    """The changelist's action POST; with `reason`, the confirmation page's POST that follows it."""
    data = {"action": name, ACTION_CHECKBOX_NAME: [str(i) for i in ids]}
    if reason is None:
        return client.post(url, {**data, "index": 0})
    return client.post(url, {**data, "apply": "Confirm", "reason": reason})


@pytest.mark.parametrize(
    ("name", "status", "kind"),
    [
        ("halt", "HALTED", "INSTRUMENT_HALT"),
        ("cancel_only", "CANCEL_ONLY", "INSTRUMENT_CANCEL_ONLY"),
        ("resume", "TRADING", "INSTRUMENT_RESUME"),
    ],
)
def test_a_status_change_asks_why_then_is_recorded(staff, name, status, kind):
    instrument, _, _ = market_with_traders()
    if status == "TRADING":
        action(staff, INSTRUMENTS, "halt", [instrument.pk], reason="")
        StaffAction.objects.all().delete()  # (the test's own setup; the admin cannot delete)
    before = Instrument.objects.get(pk=instrument.pk).status
    page = action(staff, INSTRUMENTS, name, [instrument.pk])
    assert page.status_code == 200 and b'name="reason"' in page.content
    assert Instrument.objects.get(pk=instrument.pk).status == before != status  # nothing done yet
    assert not StaffAction.objects.exists()
    done = action(staff, INSTRUMENTS, name, [instrument.pk], reason="exchange maintenance")
    assert done.status_code == 302
    assert Instrument.objects.get(pk=instrument.pk).status == status
    [record] = StaffAction.objects.all()
    assert (record.actor, record.action, record.target_type, record.target_id, record.target_repr) == (
        staff.user,
        kind,
        "trading.instrument",
        str(instrument.pk),
        "BTC-USD",
    )
    assert (record.reason, record.outcome) == ("exchange maintenance", "DONE")
    assert record.details["status"] == status and record.details["symbol"] == "BTC-USD"


def test_a_status_change_may_go_without_a_reason(staff):
    instrument, _, _ = market_with_traders()
    assert action(staff, INSTRUMENTS, "halt", [instrument.pk], reason="").status_code == 302
    assert StaffAction.objects.get().reason == ""


def test_force_cancel_needs_a_reason_and_ends_the_order_staff_canceled(staff):
    _, alice, _ = market_with_traders()
    order_id = place(alice, "BUY", "100", "1")["order"]["id"]
    page = action(staff, ORDERS, "force_cancel", [order_id])
    assert page.status_code == 200 and b'name="reason"' in page.content
    refused = action(staff, ORDERS, "force_cancel", [order_id], reason="   ")
    assert refused.status_code == 200 and b"This field is required" in refused.content
    assert Order.objects.get(pk=order_id).status == "NEW" and not StaffAction.objects.exists()

    done = action(staff, ORDERS, "force_cancel", [order_id], reason="fat-finger order reported by the user")
    assert done.status_code == 302
    order = Order.objects.get(pk=order_id)
    assert (order.status, order.reason) == ("CANCELED", "STAFF_CANCELED")
    [record] = StaffAction.objects.all()
    assert (record.action, record.target_type, record.target_id, record.outcome) == (
        "ORDER_FORCE_CANCEL",
        "trading.order",
        str(order_id),
        "DONE",
    )
    assert record.reason == "fat-finger order reported by the user"
    assert record.details == {"order_id": order_id, "user_id": alice.pk, "status_before": "NEW",
                              "remaining_before": "1.00000000", "status": "CANCELED"}  # fmt: skip

    owner = APIClient()
    owner.force_authenticate(alice)
    body = owner.get(f"/api/v1/orders/{order_id}/").json()
    assert (body["status"], body["reason"]) == ("CANCELED", "STAFF_CANCELED")
    assert alice.balances.get(asset__code="USD").locked == 0  # the hold was released


def test_a_traders_own_cancel_has_no_staff_reason(staff):
    _, alice, _ = market_with_traders()
    order_id = place(alice, "BUY", "100", "1")["order"]["id"]
    owner = APIClient()
    owner.force_authenticate(alice)
    assert owner.delete(f"/api/v1/orders/{order_id}/").json()["reason"] == ""


def test_a_force_cancel_the_engine_did_not_answer_is_recorded_unknown(staff, engine):
    _, alice, _ = market_with_traders()
    order_id = place(alice, "BUY", "100", "1")["order"]["id"]
    engine.fail_with = EngineUnavailable("timeout")
    response = action(staff, ORDERS, "force_cancel", [order_id], reason="runaway bot")
    assert response.status_code == 302
    record = StaffAction.objects.get()
    assert (record.outcome, record.reason) == ("UNKNOWN", "runaway bot")
    assert "did not answer" in record.details["error"]


def test_a_balance_adjustment_is_recorded_with_its_note_as_the_reason(staff):
    alice = make_user("alice")
    form = {"asset": make_asset("USD").pk, "direction": "debit", "amount": "5", "note": "chargeback",
            "operation_id": "staff-op-9"}  # fmt: skip
    staff.post(
        reverse("admin:accounts_user_adjust_balance", args=[alice.pk]), {**form, "direction": "credit"}
    )
    StaffAction.objects.all().delete()
    assert staff.post(reverse("admin:accounts_user_adjust_balance", args=[alice.pk]),
                      {**form, "operation_id": "staff-op-10"}).status_code == 302  # fmt: skip
    [record] = StaffAction.objects.all()
    assert (record.actor, record.action, record.target_type, record.target_id, record.reason) == (
        staff.user,
        "BALANCE_ADJUSTMENT",
        "accounts.user",
        str(alice.pk),
        "chargeback",
    )
    assert record.outcome == "DONE"
    details = record.details
    assert (details["asset"], details["amount"], details["operation_id"], details["created"]) == (
        "USD",
        "-5",
        "staff-op-10",
        True,
    )
    assert (Decimal(details["free"]), Decimal(details["locked"])) == (0, 0)


def test_a_refused_adjustment_is_recorded_refused(staff):
    alice = make_user("alice")
    form = {"asset": make_asset("USD").pk, "direction": "debit", "amount": "5", "note": "oops",
            "operation_id": "staff-op-11"}  # fmt: skip
    page = staff.post(reverse("admin:accounts_user_adjust_balance", args=[alice.pk]), form)
    assert page.status_code == 200  # the form again, with the error
    record = StaffAction.objects.get()
    assert (record.outcome, record.reason, record.action) == ("REFUSED", "oops", "BALANCE_ADJUSTMENT")


def test_the_trail_is_listed_filtered_and_searched_but_never_edited_or_deleted(staff):
    instrument, _, _ = market_with_traders()
    action(staff, INSTRUMENTS, "halt", [instrument.pk], reason="volatility")
    action(staff, INSTRUMENTS, "resume", [instrument.pk], reason="calm again")
    changelist = reverse("admin:accounts_staffaction_changelist")
    assert staff.get(changelist).status_code == 200
    assert staff.get(changelist, {"q": "volatility"}).context["cl"].result_count == 1
    assert staff.get(changelist, {"action__exact": "INSTRUMENT_RESUME"}).context["cl"].result_count == 1
    assert staff.get(changelist, {"q": "sam"}).context["cl"].result_count == 2
    assert staff.get(changelist, {"q": "HALTED"}).context["cl"].result_count == 2  # in the details
    record = StaffAction.objects.get(action="INSTRUMENT_HALT")
    change = reverse("admin:accounts_staffaction_change", args=[record.pk])
    assert staff.get(change).status_code == 200  # a view-only page
    staff.post(change, {"reason": "edited"})
    assert StaffAction.objects.get(pk=record.pk).reason == "volatility"
    assert (
        staff.post(
            reverse("admin:accounts_staffaction_delete", args=[record.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert staff.get(reverse("admin:accounts_staffaction_add")).status_code == 403
    bulk = staff.post(
        changelist,
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [record.pk], "index": 0, "post": "yes"},
    )
    assert bulk.status_code in (200, 302) and StaffAction.objects.count() == 2
    assert json.loads(json.dumps(record.details))["symbol"] == "BTC-USD"
