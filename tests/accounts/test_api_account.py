"""Account API: my balances, my ledger, and the paper-trading faucet with its caps."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey, Balance, LedgerEntry
from engine.client import EngineUnavailable
from quantx_site.env import env_decimal_map
from tests.engine_spy import install_engine_spy
from tests.factories import fund, make_asset, make_user

pytestmark = pytest.mark.django_db
ACCOUNT = reverse("api-account")
LEDGER = reverse("api-ledger")
FAUCET = reverse("api-faucet")


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def engine(monkeypatch):
    return install_engine_spy(monkeypatch)


@pytest.fixture
def assets(db):
    for code in ("USD", "BTC", "ETH"):
        make_asset(code)


@pytest.fixture
def caps(settings):
    settings.FAUCET_ENABLED = True
    settings.FAUCET_MAX_PER_CALL = {"USD": Decimal(100), "BTC": Decimal(1)}
    settings.FAUCET_MAX_PER_DAY = {"USD": Decimal(250), "BTC": Decimal(2)}


# -------------------------------------------------------------------------- balances


def test_my_balances_are_strings_with_eight_decimals(api, alice):
    fund(alice, "USD", "1500.5")
    fund(alice, "BTC", "0.00000001")
    fund(make_user("bob"), "ETH", "3")
    response = api.get(ACCOUNT)
    assert response.status_code == 200
    assert response.json() == {
        "balances": [
            {"asset": "BTC", "free": "0.00000001", "locked": "0.00000000"},
            {"asset": "USD", "free": "1500.50000000", "locked": "0.00000000"},
        ]
    }


def test_the_account_needs_a_login(db):
    assert APIClient().get(ACCOUNT).status_code == 401


# -------------------------------------------------------------------------- ledger


def test_my_ledger_lists_every_change_newest_first(api, alice):
    fund(alice, "USD", "10")
    fund(alice, "BTC", "1")
    fund(make_user("bob"), "USD", "5")
    rows = api.get(LEDGER).json()["results"]
    assert [(r["asset"], r["delta_free"], r["reason"]) for r in rows] == [
        ("BTC", "1.00000000", "DEPOSIT"),
        ("USD", "10.00000000", "DEPOSIT"),
    ]
    assert set(rows[0]) == {
        "id",
        "asset",
        "delta_free",
        "delta_locked",
        "reason",
        "order_id",
        "trade_id",
        "withdrawal_id",
        "note",
        "time",
    }


def test_the_ledger_filters_by_asset_and_reason(api, alice):
    fund(alice, "USD", "10")
    fund(alice, "BTC", "1")
    assert [r["asset"] for r in api.get(LEDGER, {"asset": "USD"}).json()["results"]] == ["USD"]
    assert api.get(LEDGER, {"reason": "TRADE"}).json()["results"] == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"asset": "XYZ"}, -1100),
        ({"reason": "GIFT"}, -1100),
        ({"limit": "1000"}, -1100),
        ({"sort": "id"}, -1104),
    ],
)
def test_bad_ledger_filters_are_400(api, alice, query, code):
    fund(alice, "USD", "10")
    response = api.get(LEDGER, query)
    assert (response.status_code, response.json()["code"]) == (400, code)


def test_the_ledger_is_paginated_in_constant_queries(api, alice, django_assert_max_num_queries):
    for _ in range(6):
        fund(alice, "USD", "1")
    with django_assert_max_num_queries(1):
        first = api.get(LEDGER, {"limit": 4}).json()
    second = api.get(first["next"]).json()
    assert (len(first["results"]), len(second["results"]), second["next"]) == (4, 2, None)


# -------------------------------------------------------------------------- faucet


def test_the_faucet_credits_me_through_a_ledger_deposit(api, alice, assets, caps, engine):
    response = api.post(FAUCET, {"asset": "USD", "amount": "40"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "asset": "USD",
        "amount": "40.00000000",
        "free": "40.00000000",
        "locked": "0.00000000",
        "credited_today": "40.00000000",
        "remaining_today": "210.00000000",
    }
    entry = LedgerEntry.objects.get(user=alice)
    assert (entry.reason, entry.delta_free, entry.note) == ("DEPOSIT", Decimal(40), "faucet")
    assert entry.operation_id.startswith("faucet-")
    assert Balance.objects.get(user=alice).free == Decimal(40)


def test_each_faucet_call_is_a_separate_credit(api, alice, assets, caps, engine):
    for _ in range(2):
        assert api.post(FAUCET, {"asset": "BTC", "amount": "0.5"}, format="json").status_code == 201
    assert Balance.objects.get(user=alice).free == Decimal(1)


def test_an_amount_over_the_per_call_cap_is_refused_and_writes_nothing(api, alice, assets, caps, engine):
    response = api.post(FAUCET, {"asset": "USD", "amount": "100.01"}, format="json")
    assert (response.status_code, response.json()["code"], response.json()["reason"]) == (
        400,
        -1100,
        "FAUCET_MAX_PER_CALL",
    )
    assert engine.calls == []
    assert not LedgerEntry.objects.exists()


def test_the_daily_cap_counts_todays_faucet_credits_from_the_ledger(api, alice, assets, caps, engine):
    for _ in range(2):
        api.post(FAUCET, {"asset": "USD", "amount": "100"}, format="json")
    over = api.post(FAUCET, {"asset": "USD", "amount": "50.01"}, format="json")
    assert (over.status_code, over.json()["reason"]) == (400, "FAUCET_MAX_PER_DAY")
    assert "50 left today" in over.json()["msg"]
    exact = api.post(FAUCET, {"asset": "USD", "amount": "50"}, format="json")
    assert (exact.status_code, exact.json()["remaining_today"]) == (201, "0.00000000")
    assert Balance.objects.get(user=alice).free == Decimal(250)


def test_yesterdays_credits_and_other_deposits_do_not_count_today(api, alice, assets, caps, engine):
    api.post(FAUCET, {"asset": "BTC", "amount": "1"}, format="json")
    api.post(FAUCET, {"asset": "BTC", "amount": "1"}, format="json")
    LedgerEntry.objects.filter(user=alice).update(created_at=timezone.now() - timedelta(days=1))
    fund(alice, "BTC", "5")  # a real deposit, not the faucet
    response = api.post(FAUCET, {"asset": "BTC", "amount": "1"}, format="json")
    assert (response.status_code, response.json()["credited_today"]) == (201, "1.00000000")


def test_the_daily_cap_is_per_user(api, alice, assets, caps, engine):
    bob = APIClient()
    bob.force_authenticate(make_user("bob"))
    api.post(FAUCET, {"asset": "BTC", "amount": "1"}, format="json")
    api.post(FAUCET, {"asset": "BTC", "amount": "1"}, format="json")
    assert bob.post(FAUCET, {"asset": "BTC", "amount": "1"}, format="json").status_code == 201


def test_a_disabled_faucet_is_403_minus_1020(api, assets, caps, engine, settings):
    settings.FAUCET_ENABLED = False
    response = api.post(FAUCET, {"asset": "USD", "amount": "1"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, -1020)
    assert engine.calls == []
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"asset": "ETH", "amount": "1"}, -1100, "asset"),  # an asset without caps is not offered
        ({"asset": "DOGE", "amount": "1"}, -1100, "asset"),
        ({"asset": "USD", "amount": "0"}, -1100, "amount"),
        ({"asset": "USD", "amount": "-5"}, -1100, "amount"),
        ({"asset": "USD", "amount": "1.000000001"}, -1111, "amount"),
        ({"asset": "USD"}, -1102, "amount"),
        ({"asset": "USD", "amount": "1", "user": 2}, -1104, "user"),
    ],
)
def test_bad_faucet_input_is_refused_before_the_engine(api, assets, caps, engine, body, code, field):
    response = api.post(FAUCET, body, format="json")
    assert response.status_code == 400, response.json()
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert engine.calls == []


def test_the_faucet_needs_the_trade_scope(alice, assets, caps, engine):
    key = ApiKey.objects.create(
        user=alice, key="qx_readonly", secret_encrypted="-", can_read=True, can_trade=False
    )
    client = APIClient()
    client.force_authenticate(alice, token=key)
    response = client.post(FAUCET, {"asset": "USD", "amount": "1"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, -2015)


def test_a_faucet_call_without_a_reply_is_503_status_unknown(api, assets, caps, engine):
    engine.fail_with = EngineUnavailable("timeout")
    response = api.post(FAUCET, {"asset": "USD", "amount": "1"}, format="json")
    assert (response.status_code, response.json()["code"]) == (503, -1007)


# -------------------------------------------------------------------------- settings


def test_faucet_caps_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("QX_CAPS", "usd=10000, BTC=0.5")
    assert env_decimal_map("QX_CAPS", {}) == {"USD": Decimal(10000), "BTC": Decimal("0.5")}
    monkeypatch.delenv("QX_CAPS")
    assert env_decimal_map("QX_CAPS", {"ETH": Decimal(1)}) == {"ETH": Decimal(1)}


@pytest.mark.parametrize("raw", ["USD", "USD=abc", "USD=-1", "USD=0", "=5", "BTC=0.000000001", "USD=NaN"])
def test_bad_faucet_caps_fail_loudly(monkeypatch, raw):
    monkeypatch.setenv("QX_CAPS", raw)
    with pytest.raises(ImproperlyConfigured, match="QX_CAPS"):
        env_decimal_map("QX_CAPS", {})
