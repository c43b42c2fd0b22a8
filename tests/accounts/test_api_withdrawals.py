"""Withdrawals API: a request holds at once, a cancel releases, retries move nothing, bad input
changes nothing, another user's withdrawal is missing; verify_ledger stays exact throughout."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Balance, LedgerEntry, Withdrawal
from accounts.withdrawals import withdrawal_request
from engine.client import EngineUnavailable
from engine.worker.verify import ledger_verify
from tests.accounts.signing import make_api_key, signed_headers
from tests.factories import fund, make_asset, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
LIST = reverse("api-withdrawals")


def detail(wid):
    return reverse("api-withdrawal", args=[wid])


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def funded(alice, engine):
    make_asset("USD", precision=2)
    btc = make_asset("BTC")
    btc.withdrawal_fee, btc.withdrawal_min = Decimal("0.0005"), Decimal("0.001")
    btc.save()
    fund(alice, "BTC", "2")
    fund(alice, "USD", "100")
    return alice


def balance(user, code):
    row = Balance.objects.get(user=user, asset__code=code)
    return row.free, row.locked


def ledger_exact():
    report = ledger_verify()
    assert report.ok, report.lines()


def request(api, **body):
    return api.post(LIST, {"asset": "BTC", "amount": "0.5", "address": "bc1qexample", **body}, format="json")


# -------------------------------------------------------------------------- request


def test_a_request_holds_the_amount_at_once_and_is_pending(api, funded):
    response = request(api, client_withdrawal_id="w-1")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "PENDING" and body["client_withdrawal_id"] == "w-1"
    assert (body["asset"], body["amount"], body["fee"], body["address"]) == (
        "BTC", "0.50000000", "0.00050000", "bc1qexample",
    )  # fmt: skip
    assert balance(funded, "BTC") == (Decimal("1.5"), Decimal("0.5"))
    [hold] = LedgerEntry.objects.filter(reason="WITHDRAWAL_HOLD")
    assert (hold.delta_free, hold.delta_locked, hold.withdrawal_id) == (
        Decimal("-0.5"),
        Decimal("0.5"),
        body["id"],
    )
    assert Withdrawal.objects.get(pk=body["id"]).status == "PENDING"
    ledger_exact()


def test_a_generated_client_id_is_returned(api, funded):
    body = request(api).json()
    assert len(body["client_withdrawal_id"]) == 32


def test_the_same_client_id_twice_returns_the_original_and_moves_nothing(api, funded, engine):
    first = request(api, client_withdrawal_id="w-1").json()
    again = request(api, client_withdrawal_id="w-1", amount="0.7", address="elsewhere")
    assert again.status_code == 200
    assert again.json() == first
    assert balance(funded, "BTC") == (Decimal("1.5"), Decimal("0.5"))
    assert (
        Withdrawal.objects.count() == 1 and LedgerEntry.objects.filter(reason="WITHDRAWAL_HOLD").count() == 1
    )


def test_a_retry_of_a_cancelled_withdrawal_returns_it_cancelled(api, funded):
    first = request(api, client_withdrawal_id="w-1").json()
    api.delete(detail(first["id"]))
    again = request(api, client_withdrawal_id="w-1")
    assert again.status_code == 200 and again.json()["status"] == "CANCELED"
    assert balance(funded, "BTC") == (Decimal("2"), Decimal(0))


def test_a_retry_that_a_check_would_now_refuse_still_gets_its_original(api, funded):
    first = request(api, client_withdrawal_id="w-1").json()
    btc = make_asset("BTC")
    btc.withdrawal_min = Decimal("1")
    btc.save()
    again = request(api, client_withdrawal_id="w-1")
    assert again.status_code == 200 and again.json()["id"] == first["id"]


def test_the_engine_answers_a_retry_of_a_lost_reply_with_the_original(api, funded, engine):
    engine.lose_reply = True
    lost = request(api, client_withdrawal_id="w-1")
    assert lost.status_code == 503 and lost.json()["code"] == -1007
    assert lost.json()["client_withdrawal_id"] == "w-1"
    engine.lose_reply = False
    again = request(api, client_withdrawal_id="w-1")
    assert again.status_code == 200
    assert balance(funded, "BTC") == (Decimal("1.5"), Decimal("0.5"))


def test_a_withdrawal_cannot_overdraw_the_free_balance(api, funded):
    request(api, amount="1.5")
    response = request(api, amount="0.50000001")
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["reason"]) == (-2010, "RISK_INSUFFICIENT_FUNDS")
    assert balance(funded, "BTC") == (Decimal("0.5"), Decimal("1.5"))
    assert Withdrawal.objects.count() == 1
    ledger_exact()


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"amount": "0"}, -1100, "amount"),
        ({"amount": "-1"}, -1100, "amount"),
        ({"amount": "NaN"}, -1100, "amount"),
        ({"amount": "Infinity"}, -1100, "amount"),
        ({"amount": "1e30"}, -1100, "amount"),
        ({"amount": True}, -1100, "amount"),
        ({"amount": "0.000000001"}, -1111, "amount"),
        ({"asset": "USD", "amount": "1.001"}, -1111, "amount"),
        ({"asset": "DOGE"}, -1100, "asset"),
        ({"asset": 5}, -1100, "asset"),
        ({"address": ""}, -1102, "address"),
        ({"address": "has spaces"}, -1100, "address"),
        ({"address": "x" * 129}, -1100, "address"),
        ({"client_withdrawal_id": "no spaces"}, -1100, "client_withdrawal_id"),
        ({"client_withdrawal_id": "x" * 37}, -1100, "client_withdrawal_id"),
        ({"status": "COMPLETED"}, -1104, "status"),
        ({"fee": "0"}, -1104, "fee"),
    ],
)
def test_bad_input_is_refused_with_a_code_and_moves_nothing(api, funded, engine, body, code, field):
    calls = len(engine.calls)
    response = request(api, **body)
    assert response.status_code == 400, response.json()
    assert (response.json()["code"], response.json().get("field")) == (code, field)
    assert len(engine.calls) == calls  # refused before the engine
    assert not Withdrawal.objects.exists()
    assert balance(funded, "BTC") == (Decimal("2"), Decimal(0))


def test_missing_fields_are_refused(api, funded):
    response = api.post(LIST, {"asset": "BTC"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == -1102


@pytest.mark.parametrize(
    ("amount", "reason"), [("0.0009", "FILTER_WITHDRAWAL_MIN"), ("0.0005", "FILTER_WITHDRAWAL_MIN")]
)
def test_an_amount_below_the_minimum_is_a_filter_failure(api, funded, amount, reason):
    response = request(api, amount=amount)
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["reason"]) == (-1013, reason)


def test_an_amount_not_above_the_fee_is_a_filter_failure(api, funded):
    btc = make_asset("BTC")
    btc.withdrawal_min = Decimal(0)
    btc.save()
    response = request(api, amount="0.0005")
    assert (response.json()["code"], response.json()["reason"]) == (-1013, "FILTER_WITHDRAWAL_FEE")
    assert not Withdrawal.objects.exists()


# -------------------------------------------------------------------------- cancel, read, list


def test_cancel_releases_the_hold(api, funded):
    wid = request(api).json()["id"]
    response = api.delete(detail(wid))
    assert response.status_code == 200 and response.json()["status"] == "CANCELED"
    assert balance(funded, "BTC") == (Decimal("2"), Decimal(0))
    assert [e.reason for e in LedgerEntry.objects.filter(withdrawal_id=wid).order_by("id")] == [
        "WITHDRAWAL_HOLD", "WITHDRAWAL_RELEASE",
    ]  # fmt: skip
    ledger_exact()


def test_cancelling_twice_says_it_is_no_longer_pending(api, funded):
    wid = request(api).json()["id"]
    api.delete(detail(wid))
    response = api.delete(detail(wid))
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["reason"]) == (-2011, "WITHDRAWAL_NOT_PENDING")
    assert balance(funded, "BTC") == (Decimal("2"), Decimal(0))


def test_another_users_withdrawal_is_missing_whatever_you_do(api, funded, engine):
    bob = make_user("bob")
    fund(bob, "BTC", "1")
    bobs = APIClient()
    bobs.force_authenticate(bob)
    wid = request(bobs).json()["id"]
    for response in (api.get(detail(wid)), api.delete(detail(wid))):
        assert response.status_code == 404
        assert response.json() == {"code": -1125, "msg": "Withdrawal does not exist."}
    assert api.get(detail(wid + 1000)).status_code == 404
    assert api.get(detail(0)).status_code == 404
    assert api.delete(detail(2**63)).status_code == 404
    assert Withdrawal.objects.get(pk=wid).status == "PENDING"
    assert balance(bob, "BTC") == (Decimal("0.5"), Decimal("0.5"))
    assert api.get(LIST).json()["results"] == []


def test_list_is_newest_first_paginated_and_filtered(api, funded):
    ids = [request(api, amount="0.1").json()["id"] for _ in range(3)]
    api.delete(detail(ids[0]))
    page = api.get(LIST, {"limit": 2}).json()
    assert [w["id"] for w in page["results"]] == ids[:0:-1]
    rest = api.get(page["next"]).json()
    assert [w["id"] for w in rest["results"]] == [ids[0]]
    assert [w["id"] for w in api.get(LIST, {"status": "CANCELED"}).json()["results"]] == [ids[0]]
    assert api.get(LIST, {"asset": "USD"}).json()["results"] == []
    assert api.get(LIST, {"asset": "DOGE"}).json()["code"] == -1100
    assert api.get(LIST, {"status": "DONE"}).json()["code"] == -1100
    assert api.get(LIST, {"sort": "id"}).json()["code"] == -1104
    one = api.get(detail(ids[1])).json()
    assert one == api.get(LIST, {"limit": 2}).json()["results"][1]


def test_engine_unavailable_is_503_and_moves_nothing(api, funded, engine):
    engine.fail_with = EngineUnavailable("test")
    response = request(api, client_withdrawal_id="w-9")
    assert response.status_code == 503 and response.json()["code"] == -1007
    assert not Withdrawal.objects.exists()


def test_a_read_only_api_key_may_list_but_not_request_or_cancel(funded, engine):
    key, secret = make_api_key(funded, scopes=("READ",))
    client = APIClient()
    assert client.get(LIST, headers=signed_headers(key.key, secret, "GET", LIST)).status_code == 200
    body = json.dumps({"asset": "BTC", "amount": "0.5", "address": "bc1qexample"})
    response = client.post(LIST, body, content_type="application/json",
                           headers=signed_headers(key.key, secret, "POST", LIST, body))  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (403, -2015)
    wid = withdrawal_request(user=funded, asset_code="BTC", amount=Decimal("0.1"), address="bc1q").withdrawal[
        "id"
    ]
    response = client.delete(detail(wid), headers=signed_headers(key.key, secret, "DELETE", detail(wid)))
    assert (response.status_code, response.json()["code"]) == (403, -2015)
    assert Withdrawal.objects.get().status == "PENDING"
    assert balance(funded, "BTC") == (Decimal("1.9"), Decimal("0.1"))


def test_withdrawal_requests_have_their_own_rate_limit_and_a_refused_one_moves_nothing(api, funded, settings):
    from django.core.cache import cache

    cache.clear()
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, "withdrawal_request": "2/min"}}  # fmt: skip
    answers = [request(api, amount="0.01") for _ in range(3)]
    assert [r.status_code for r in answers] == [201, 201, 429]
    assert answers[2].json()["code"] == -1003 and answers[2]["RateLimit-Remaining"] == "0"
    assert Withdrawal.objects.count() == 2
    assert balance(funded, "BTC") == (Decimal("1.98"), Decimal("0.02"))
    assert api.get(LIST).status_code == 200  # reading is not counted
    ledger_exact()
