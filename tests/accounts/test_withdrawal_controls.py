"""Per-asset withdrawal controls: staff suspend an asset's withdrawals or cap one request; a refused
request moves nothing, a retry of an earlier request still gets its original, and an edit in admin
applies to the very next request."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Asset, Balance, LedgerEntry, Withdrawal
from accounts.withdrawals import withdrawal_approve
from tests.factories import fund, make_asset, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
LIST = reverse("api-withdrawals")


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def funded(alice, engine):
    btc = make_asset("BTC")
    btc.withdrawal_fee, btc.withdrawal_min = Decimal("0.0005"), Decimal("0.001")
    btc.save()
    fund(alice, "BTC", "2")
    return alice


def controls(**fields):
    Asset.objects.filter(code="BTC").update(**fields)


def request(api, **body):
    return api.post(LIST, {"asset": "BTC", "amount": "0.5", "address": "bc1qexample", **body}, format="json")


def balance(user):
    row = Balance.objects.get(user=user, asset__code="BTC")
    return row.free, row.locked


def nothing_moved(user):
    return (
        not Withdrawal.objects.exists()
        and not LedgerEntry.objects.filter(reason="WITHDRAWAL_HOLD").exists()
        and balance(user) == (Decimal("2"), Decimal(0))
    )


def test_a_request_for_a_suspended_asset_is_refused_and_moves_nothing(api, funded, engine):
    controls(withdrawals_enabled=False)
    calls = len(engine.calls)
    response = request(api, client_withdrawal_id="w-1")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["reason"], body["field"]) == (-2010, "WITHDRAWALS_DISABLED", "asset")
    assert body["msg"] == "Withdrawals of BTC are suspended."
    assert len(engine.calls) == calls  # refused before the engine
    assert nothing_moved(funded)


def test_other_assets_are_not_affected_by_a_suspension(api, funded):
    make_asset("ETH")
    fund(funded, "ETH", "1")
    controls(withdrawals_enabled=False)
    response = request(api, asset="ETH")
    assert response.status_code == 201, response.json()


def test_an_amount_above_the_maximum_is_a_filter_failure(api, funded):
    controls(withdrawal_max=Decimal("0.5"))
    response = request(api, amount="0.50000001")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["reason"], body["field"]) == (-1013, "FILTER_WITHDRAWAL_MAX", "amount")
    assert body["msg"] == "Filter failure: FILTER_WITHDRAWAL_MAX: the largest BTC withdrawal is 0.5."
    assert nothing_moved(funded)


def test_the_maximum_itself_is_allowed(api, funded):
    controls(withdrawal_max=Decimal("0.5"))
    response = request(api, amount="0.5")
    assert response.status_code == 201, response.json()
    assert balance(funded) == (Decimal("1.5"), Decimal("0.5"))


def test_a_retry_of_an_earlier_request_after_the_suspension_gets_its_original(api, funded):
    first = request(api, client_withdrawal_id="w-1").json()
    controls(withdrawals_enabled=False)
    again = request(api, client_withdrawal_id="w-1")
    assert again.status_code == 200 and again.json() == first
    assert Withdrawal.objects.count() == 1 and balance(funded) == (Decimal("1.5"), Decimal("0.5"))
    fresh = request(api, client_withdrawal_id="w-2")
    assert fresh.status_code == 400 and fresh.json()["reason"] == "WITHDRAWALS_DISABLED"


def test_a_pending_withdrawal_is_still_completed_after_the_suspension(api, funded):
    wid = request(api).json()["id"]
    controls(withdrawals_enabled=False)
    staff = make_user("staffer", is_staff=True)
    assert withdrawal_approve(staff_user=staff, withdrawal_id=wid)["status"] == "COMPLETED"
    assert balance(funded) == (Decimal("1.5"), Decimal(0))


# -------------------------------------------------------------------------- staff edit in admin


def admin_edit(client, **fields):
    btc = Asset.objects.get(code="BTC")
    form = {
        "code": "BTC", "name": btc.name, "display_precision": btc.display_precision,
        "withdrawal_fee": str(btc.withdrawal_fee), "withdrawal_min": str(btc.withdrawal_min),
        "withdrawal_max": "" if btc.withdrawal_max is None else str(btc.withdrawal_max),
        "withdrawals_enabled": "on" if btc.withdrawals_enabled else "", "_save": "Save",
    }  # fmt: skip
    form.update(fields)
    form = {k: v for k, v in form.items() if not (k == "withdrawals_enabled" and not v)}  # unticked: absent
    return client.post(reverse("admin:accounts_asset_change", args=[btc.pk]), form)


@pytest.fixture
def staff_client(client):
    client.force_login(make_user("staffer", is_staff=True, is_superuser=True))
    return client


def test_staff_suspend_and_cap_in_admin_and_the_next_request_obeys(api, funded, staff_client):
    response = admin_edit(staff_client, withdrawals_enabled="", withdrawal_max="0.4")
    assert response.status_code == 302, response.content.decode()[:2000]
    btc = Asset.objects.get(code="BTC")
    assert (btc.withdrawals_enabled, btc.withdrawal_max) == (False, Decimal("0.4"))
    assert request(api).json()["reason"] == "WITHDRAWALS_DISABLED"

    assert admin_edit(staff_client, withdrawals_enabled="on").status_code == 302
    assert request(api).json()["reason"] == "FILTER_WITHDRAWAL_MAX"
    assert request(api, amount="0.4").status_code == 201

    assert admin_edit(staff_client, withdrawal_max="").status_code == 302
    assert request(api, amount="1").status_code == 201
    assert balance(funded) == (Decimal("0.6"), Decimal("1.4"))


@pytest.mark.parametrize("maximum", ["0.0009", "0", "-1"])
def test_admin_refuses_a_maximum_below_the_minimum_or_not_positive(funded, staff_client, maximum):
    response = admin_edit(staff_client, withdrawal_max=maximum)
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()  # the form again
    assert Asset.objects.get(code="BTC").withdrawal_max is None


def test_the_asset_list_in_admin_shows_the_controls(funded, staff_client):
    controls(withdrawals_enabled=False, withdrawal_max=Decimal("3"))
    html = staff_client.get(reverse("admin:accounts_asset_changelist")).content.decode()
    assert "column-withdrawals_enabled" in html and "column-withdrawal_max" in html
