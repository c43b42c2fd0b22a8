"""The faucet is idempotent with a request id (body `client_request_id` or `Idempotency-Key`):
a retried credit credits once and answers the same."""

import threading
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Balance, LedgerEntry
from tests.factories import make_asset

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
FAUCET = reverse("api-faucet")


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def caps(settings, engine):
    settings.FAUCET_ENABLED = True
    settings.FAUCET_MAX_PER_CALL = {"USD": Decimal(100), "BTC": Decimal(1)}
    settings.FAUCET_MAX_PER_DAY = {"USD": Decimal(100), "BTC": Decimal(2)}
    make_asset("USD")
    make_asset("BTC")
    cache.clear()
    yield
    cache.clear()


def credited(user):
    return sum(e.delta_free for e in LedgerEntry.objects.filter(user=user, reason="DEPOSIT"))


def test_a_retry_with_the_same_client_request_id_credits_once_and_answers_the_same(api, alice, caps, engine):
    body = {"asset": "USD", "amount": "100", "client_request_id": "req-1"}
    first = api.post(FAUCET, body, format="json")
    again = api.post(FAUCET, body, format="json")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # even though the daily cap is now reached
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert credited(alice) == Decimal(100)
    assert Balance.objects.get(user=alice).free == Decimal(100)


def test_the_idempotency_key_header_works_the_same(api, alice, caps):
    body = {"asset": "USD", "amount": "40"}
    first = api.post(FAUCET, body, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    again = api.post(FAUCET, body, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    other = api.post(FAUCET, body, format="json", HTTP_IDEMPOTENCY_KEY="key-2")
    assert again.json() == first.json()
    assert other.json()["credited_today"] == "80.00000000"
    assert credited(alice) == Decimal(80)


def test_the_body_id_and_the_header_are_the_same_id(api, alice, caps):
    api.post(FAUCET, {"asset": "USD", "amount": "40", "client_request_id": "k"}, format="json")
    again = api.post(FAUCET, {"asset": "USD", "amount": "40"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again["Idempotent-Replayed"] == "true"
    assert credited(alice) == Decimal(40)


def test_calls_without_an_id_are_separate_credits(api, alice, caps):
    for _ in range(2):
        assert api.post(FAUCET, {"asset": "USD", "amount": "40"}, format="json").status_code == 201
    assert credited(alice) == Decimal(80)


@pytest.mark.parametrize("other", [{"amount": "41"}, {"asset": "BTC", "amount": "1"}])
def test_the_same_id_for_another_credit_is_refused(api, alice, caps, other):
    api.post(FAUCET, {"asset": "USD", "amount": "40", "client_request_id": "req-1"}, format="json")
    response = api.post(
        FAUCET, {"asset": "USD", "amount": "40", **other, "client_request_id": "req-1"}, format="json"
    )
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["reason"]) == (-1100, "FAUCET_REQUEST_ID_REUSED")
    assert credited(alice) == Decimal(40)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"HTTP_IDEMPOTENCY_KEY": "has space"}, "Idempotency-Key"),
        ({"HTTP_IDEMPOTENCY_KEY": "x" * 51}, "Idempotency-Key"),
        ({"HTTP_IDEMPOTENCY_KEY": "a", "body": {"client_request_id": "b"}}, "client_request_id"),
        ({"body": {"client_request_id": ""}}, "client_request_id"),
        ({"body": {"client_request_id": 7}}, "client_request_id"),
    ],
)
def test_a_bad_request_id_is_refused_and_credits_nothing(api, alice, caps, engine, kwargs, field):
    body = {"asset": "USD", "amount": "40", **kwargs.pop("body", {})}
    response = api.post(FAUCET, body, format="json", **kwargs)
    assert response.status_code == 400 and response.json()["field"] == field
    assert credited(alice) == 0


def test_a_retry_after_a_lost_reply_credits_once(api, alice, caps, engine):
    engine.lose_reply = True
    lost = api.post(FAUCET, {"asset": "USD", "amount": "40", "client_request_id": "r"}, format="json")
    assert lost.status_code == 503 and lost.json()["code"] == -1007
    engine.lose_reply = False
    cache.clear()  # the lock a call of unknown outcome keeps (faucet.LOCK_TTL_SECONDS)
    again = api.post(FAUCET, {"asset": "USD", "amount": "40", "client_request_id": "r"}, format="json")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert credited(alice) == Decimal(40)


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_credit_once(alice, caps, settings):
    """Five threads, each its own connection, send the same request id at once."""
    barrier = threading.Barrier(5)
    answers: list[tuple[int, dict]] = []

    def send() -> None:
        client = APIClient()
        client.force_authenticate(alice)
        barrier.wait()
        try:
            response = client.post(
                FAUCET, {"asset": "USD", "amount": "60", "client_request_id": "race"}, format="json"
            )
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()  # each thread's own connection (it would block dropping the test database)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [code for code, _ in answers] == [201] * 5, answers
    assert len({body["amount"] for _, body in answers}) == 1
    assert credited(alice) == Decimal(60)
