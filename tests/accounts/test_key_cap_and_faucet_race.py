"""A per-user cap on API keys, and a faucet daily cap that concurrent calls cannot overshoot."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import faucet
from accounts.models import ApiKey, LedgerEntry
from quantx_site.errors import ApiError
from tests.factories import make_asset

pytestmark = pytest.mark.django_db

KEYS = "/api/v1/api-keys/"


@pytest.fixture
def api(alice) -> APIClient:
    client = APIClient()
    client.force_authenticate(alice)
    return client


def test_a_user_cannot_hold_more_active_keys_than_the_cap(api, settings):
    settings.API_KEYS_MAX_PER_USER = 2
    ids = [api.post(KEYS, {"scopes": ["READ"]}, format="json").json()["id"] for _ in range(2)]
    refused = api.post(KEYS, {"scopes": ["READ"]}, format="json")
    assert refused.status_code == 400, refused.content
    assert (refused.json()["code"], refused.json()["reason"]) == (-1100, "AUTH_KEY_LIMIT")
    assert ApiKey.objects.count() == 2
    assert api.delete(f"{KEYS}{ids[0]}/").status_code == 204
    assert api.post(KEYS, {"scopes": ["READ"]}, format="json").status_code == 201


@pytest.fixture
def caps(settings):
    settings.FAUCET_ENABLED = True
    settings.FAUCET_MAX_PER_CALL = {"USD": Decimal(100)}
    settings.FAUCET_MAX_PER_DAY = {"USD": Decimal(150)}
    make_asset("USD")
    cache.clear()
    yield
    cache.clear()


def test_a_faucet_call_made_while_another_is_in_flight_cannot_overshoot_the_daily_cap(
    alice, caps, engine, monkeypatch
):
    """The second call starts while the first waits for the engine (its deposit not yet in the
    ledger): without the lock both passed the daily check, 200 USD credited against a cap of 150."""
    monkeypatch.setattr(faucet, "LOCK_WAIT_SECONDS", 0.2)
    real_send = faucet.engine_send
    second: list[object] = []

    def send_and_race(command, **kwargs):
        if not second:
            try:
                second.append(faucet.faucet_credit(user=alice, asset_code="USD", amount=Decimal(100)))
            except ApiError as refusal:
                second.append(refusal)
        return real_send(command, **kwargs)

    monkeypatch.setattr(faucet, "engine_send", send_and_race)
    first = faucet.faucet_credit(user=alice, asset_code="USD", amount=Decimal(100))
    assert first.credited_today == Decimal(100)
    [refusal] = second
    assert isinstance(refusal, ApiError) and refusal.status_code == 429
    credited = sum(e.delta_free for e in LedgerEntry.objects.filter(user=alice, reason="DEPOSIT"))
    assert credited == Decimal(100)
    # Once the first is done, the next call sees its credit: 50 left today.
    with pytest.raises(ApiError, match="50 left today"):
        faucet.faucet_credit(user=alice, asset_code="USD", amount=Decimal(100))
