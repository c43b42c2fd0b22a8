"""The order endpoints' database queries on the web side: none in the common case, one to word a refusal.

What is measured: every query the request makes on the web side, from the authentication to the
response, with a real JWT or a signed API key, the real throttle and the real (embedded) engine.
Queries made inside the engine seam (`engine.client.seam.engine_request_sync`) are left out: in the
scaled mode the engine worker runs them in its own process, batched for many requests; here the
embedded engine runs them in this one. Each test warms the per-process caches with a first request
(the user or key, the instruments), as any request after a process's first does.
"""

import json
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.accounts.signing import make_api_key, signed_headers
from tests.factories import fund

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
ORDERS = reverse("api-orders")
BUY = {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": "0.010", "price": "100.00"}


class WebQueries:
    """Queries of the default connection made outside the engine seam, during `measure()`."""

    def __init__(self, monkeypatch):
        self._engine_spans: list[tuple[int, int]] = []
        self._capture: CaptureQueriesContext | None = None
        from engine.client import seam as client_seam

        real = client_seam.engine_request_sync

        def seam(command, **kwargs):
            start = len(self._capture.captured_queries) if self._capture else 0
            try:
                return real(command, **kwargs)
            finally:
                if self._capture is not None:
                    self._engine_spans.append((start, len(self._capture.captured_queries)))

        monkeypatch.setattr(client_seam, "engine_request_sync", seam)

    @contextmanager
    def measure(self):
        self._engine_spans = []
        with CaptureQueriesContext(connection) as capture:
            self._capture = capture
            try:
                yield self
            finally:
                self._capture = None
        inside = {i for start, end in self._engine_spans for i in range(start, end)}
        self.sql = [q["sql"] for i, q in enumerate(capture.captured_queries) if i not in inside]
        self.engine_calls = len(self._engine_spans)


@pytest.fixture
def web(monkeypatch) -> WebQueries:
    return WebQueries(monkeypatch)


@pytest.fixture
def jwt_client(alice, btc_usd) -> APIClient:
    fund(alice, "USD", "10000")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(alice)}")
    return client


def place(client, **overrides):
    response = client.post(ORDERS, {**BUY, **overrides}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_placing_an_order_makes_no_query(jwt_client, web):
    place(jwt_client)  # warms the caches
    with web.measure():
        place(jwt_client)
    assert (web.sql, web.engine_calls) == ([], 1)


def test_a_retry_with_a_used_client_order_id_makes_no_query(jwt_client, web):
    first = place(jwt_client, client_order_id="again")
    with web.measure():
        response = jwt_client.post(ORDERS, {**BUY, "client_order_id": "again"}, format="json")
    assert (response.status_code, response.json()["id"]) == (200, first["id"])
    assert (web.sql, web.engine_calls) == ([], 1)


def test_cancelling_an_order_makes_no_query(jwt_client, web):
    order = place(jwt_client)
    with web.measure():
        response = jwt_client.delete(reverse("api-order", args=[order["id"]]))
    assert response.json()["status"] == "CANCELED"
    assert (web.sql, web.engine_calls) == ([], 1)


def test_amending_an_order_makes_no_query(jwt_client, web):
    order = place(jwt_client)
    with web.measure():
        response = jwt_client.patch(reverse("api-order", args=[order["id"]]), {"qty": "0.005"}, format="json")
    assert response.json()["remaining"] == "0.00500000"
    assert (web.sql, web.engine_calls) == ([], 1)


def test_cancelling_all_on_a_symbol_makes_no_query(jwt_client, web):
    place(jwt_client)
    with web.measure():
        response = jwt_client.delete(f"{ORDERS}?symbol=BTC-USD")
    assert len(response.json()["orders"]) == 1
    assert (web.sql, web.engine_calls) == ([], 1)


def test_a_signed_order_request_makes_no_query(alice, btc_usd, web):
    fund(alice, "USD", "10000")
    api_key, secret = make_api_key(alice, scopes=("READ", "TRADE"))
    client = APIClient()

    def signed_place():
        body = json.dumps(BUY)
        headers = signed_headers(api_key.key, secret, "POST", ORDERS, body)
        response = client.post(ORDERS, body, content_type="application/json", headers=headers)
        assert response.status_code == 201, response.json()

    signed_place()  # warms the caches (and notes last_used_at)
    with web.measure():
        signed_place()
    assert (web.sql, web.engine_calls) == ([], 1)


def test_the_first_request_of_a_process_reads_the_user_and_the_instruments_once(jwt_client, web):
    with web.measure():
        place(jwt_client)
    assert len(web.sql) == 2, web.sql


def test_refusals_read_the_order_once_to_word_the_error(jwt_client, bob, web):
    order = place(jwt_client)
    bob_client = APIClient()
    bob_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(bob)}")
    bob_client.delete(f"{ORDERS}?symbol=BTC-USD")  # warms bob's user
    with web.measure():
        not_yours = bob_client.delete(reverse("api-order", args=[order["id"]]))
    assert (not_yours.status_code, not_yours.json()["code"]) == (404, -2013)
    assert (len(web.sql), web.engine_calls) == (1, 1)

    jwt_client.delete(reverse("api-order", args=[order["id"]]))
    with web.measure():
        closed = jwt_client.delete(reverse("api-order", args=[order["id"]]))
    assert (closed.status_code, closed.json()["reason"]) == (400, "MATCHING_ORDER_CLOSED")
    assert (len(web.sql), web.engine_calls) == (1, 1)
