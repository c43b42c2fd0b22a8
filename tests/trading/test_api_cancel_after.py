"""POST/GET /api/v1/orders/cancel-after/: arm, re-arm and disarm the dead-man's switch; refusals are
coded 4xx and reach no engine. (That it fires is tests/engine/test_worker_timers.py.)"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from engine.client import EngineUnavailable
from engine.models import CancelTimer
from tests.accounts.signing import make_api_key, signed_headers

pytestmark = pytest.mark.django_db
URL = reverse("api-cancel-after")


def arm(client, **body):
    return client.post(URL, body, format="json")


def test_arming_answers_the_deadline_in_ms_and_iso_and_get_lists_it(api, alice, btc_usd, engine):
    response = arm(api, timeout_ms=60_000)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["kind"] == "CANCEL_AFTER" and body["symbol"] is None and body["timeout_ms"] == 60_000
    assert body["deadline_ms"] == body["now_ms"] + 60_000 and body["remaining_ms"] == 60_000
    assert body["deadline"].endswith("Z") and body["deadline"].startswith("20")
    assert engine.calls == [{"op": "cancel_after", "user_id": alice.pk, "timeout_ms": 60_000, "symbol": None}]
    listed = api.get(URL).json()
    [timer] = listed["timers"]
    assert (timer["kind"], timer["symbol"], timer["deadline_ms"]) == (
        "CANCEL_AFTER",
        None,
        body["deadline_ms"],
    )
    assert 0 < timer["remaining_ms"] <= 60_000
    assert listed["cancel_on_disconnect_sockets"] == 0 and listed["grace_ms"] == 5000


def test_re_arming_moves_the_deadline_and_a_symbol_has_its_own_countdown(api, alice, btc_usd, engine):
    first = arm(api, timeout_ms=60_000).json()
    second = arm(api, timeout_ms=120_000).json()
    on_btc = arm(api, timeout_ms=1_000, symbol="BTC-USD").json()
    assert second["deadline_ms"] >= first["deadline_ms"] + 60_000
    assert on_btc["symbol"] == "BTC-USD"
    timers = api.get(URL).json()["timers"]
    assert [(t["symbol"], t["timeout_ms"]) for t in timers] == [("BTC-USD", 1_000), (None, 120_000)]


def test_zero_disarms_and_disarming_nothing_is_fine(api, alice, btc_usd, engine):
    arm(api, timeout_ms=60_000, symbol="BTC-USD")
    response = arm(api, timeout_ms=0, symbol="BTC-USD")
    assert response.status_code == 200
    assert (response.json()["deadline_ms"], response.json()["deadline"]) == (None, None)
    assert arm(api, timeout_ms=0).status_code == 200
    assert api.get(URL).json()["timers"] == []
    assert CancelTimer.objects.get(user=alice, symbol="BTC-USD").deadline_ms is None


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"timeout_ms": 999}, -1100, "timeout_ms"),
        ({"timeout_ms": 1}, -1100, "timeout_ms"),
        ({"timeout_ms": 600_001}, -1100, "timeout_ms"),
        ({"timeout_ms": -1}, -1100, "timeout_ms"),
        ({"timeout_ms": 10**30}, -1100, "timeout_ms"),
        ({"timeout_ms": "soon"}, -1100, "timeout_ms"),
        ({"timeout_ms": 1500.5}, -1100, "timeout_ms"),
        ({"timeout_ms": "1000.0"}, -1100, "timeout_ms"),
        ({"timeout_ms": True}, -1100, "timeout_ms"),
        ({}, -1102, "timeout_ms"),
        ({"timeout_ms": None}, -1102, "timeout_ms"),
        ({"timeout_ms": 5000, "symbol": "DOGE-USD"}, -1121, "symbol"),
        ({"timeout_ms": 5000, "symbol": 7}, -1100, "symbol"),
        ({"timeout_ms": 5000, "timeout": 5}, -1104, "timeout"),
    ],
)
def test_bad_input_is_a_coded_400_and_reaches_no_engine(api, btc_usd, engine, body, code, field):
    response = arm(api, **body)
    assert response.status_code == 400, response.json()
    assert (response.json()["code"], response.json().get("field")) == (code, field)
    assert engine.calls == []
    assert not CancelTimer.objects.exists()


def test_an_out_of_range_timeout_names_the_bounds(api, btc_usd, engine):
    body = arm(api, timeout_ms=500).json()
    assert body["reason"] == "CANCEL_AFTER_OUT_OF_RANGE"
    assert "1000 to 600000" in body["msg"]


def test_a_query_parameter_on_the_post_is_refused(api, btc_usd, engine):
    response = api.post(f"{URL}?timeout_ms=0", {"timeout_ms": 5000}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, -1104)
    assert engine.calls == []


def test_arming_needs_the_trade_scope_and_anonymous_is_401(alice, btc_usd, engine):
    api_key, secret = make_api_key(alice, scopes=("READ",))
    body = '{"timeout_ms":5000}'
    headers = signed_headers(api_key.key, secret, "POST", URL, body)
    refused = APIClient().post(URL, body, content_type="application/json", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, -2015)
    read = APIClient().get(URL, headers=signed_headers(api_key.key, secret, "GET", URL))
    assert read.status_code == 200
    assert APIClient().post(URL, {"timeout_ms": 5000}, format="json").status_code == 401
    assert engine.calls == []


def test_no_reply_from_the_engine_is_503_status_unknown(api, btc_usd, engine):
    engine.fail_with = EngineUnavailable("test")
    response = arm(api, timeout_ms=5000)
    assert (response.status_code, response.json()["code"]) == (503, -1007)


def test_the_timers_are_mine_only(api, bob_api, btc_usd, engine):
    arm(api, timeout_ms=60_000)
    assert bob_api.get(URL).json()["timers"] == []


def test_the_list_refuses_unknown_query_parameters_and_other_methods(api, btc_usd):
    assert (api.get(f"{URL}?symbol=BTC-USD").json()["code"]) == -1104
    response = api.delete(URL)
    assert (response.status_code, response.json()["code"]) == (405, -1107)
