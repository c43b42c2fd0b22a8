"""POST /api/v1/orders/: validation before the engine, placement, duplicates and engine failures."""

from decimal import Decimal

import hypothesis
import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import strategies as st

from accounts.models import ApiKey, LedgerEntry
from engine.client import EngineBusy, EngineUnavailable
from tests.factories import fund, make_instrument, make_user
from trading.models import Order

pytestmark = pytest.mark.django_db
URL = reverse("api-orders")


def limit_buy(**overrides):
    body = {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": "0.010", "price": "100.00"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def place(api, **overrides):
    return api.post(URL, limit_buy(**overrides), format="json")


@pytest.fixture
def funded(alice, btc_usd):
    fund(alice, "USD", "100000")
    fund(alice, "BTC", "10")
    return alice


# -------------------------------------------------------------------------- validation table

BAD_INPUTS = [
    ({"symbol": "DOGE-USD"}, -1121, "symbol"),
    ({"symbol": ...}, -1102, "symbol"),
    ({"side": "HOLD"}, -1100, "side"),
    ({"type": "ICEBERG"}, -1100, "type"),
    ({"qty": "abc"}, -1100, "qty"),
    ({"qty": "-1"}, -1100, "qty"),
    ({"qty": "0"}, -1100, "qty"),
    ({"qty": "NaN"}, -1100, "qty"),
    ({"qty": "Infinity"}, -1100, "qty"),
    ({"qty": True}, -1100, "qty"),
    ({"qty": "0.000000001"}, -1111, "qty"),
    ({"qty": "1e30"}, -1100, "qty"),
    ({"price": ...}, -1102, "price"),
    ({"type": "MARKET"}, -1106, "price"),
    ({"type": "MARKET", "price": ..., "qty": ...}, -1102, "qty"),
    ({"type": "MARKET", "price": ..., "quote_qty": "50"}, -1106, "quote_qty"),
    ({"quote_qty": "50"}, -1106, "quote_qty"),
    ({"type": "STOP_LOSS_LIMIT"}, -1102, "stop_price"),
    ({"stop_price": "90"}, -1106, "stop_price"),
    ({"type": "LIMIT_MAKER", "tif": "GTC"}, -1106, "tif"),
    ({"type": "MARKET", "price": ..., "tif": "IOC"}, -1106, "tif"),
    ({"tif": "DAY"}, -1100, "tif"),
    ({"stp": "EXPIRE_ALL"}, -1100, "stp"),
    ({"client_order_id": "has space"}, -1100, "client_order_id"),
    ({"client_order_id": "x" * 37}, -1100, "client_order_id"),
    ({"client_order_id": ""}, -1102, "client_order_id"),
    ({"client_order_id": 42}, -1100, "client_order_id"),
    ({"price": "100.005"}, -1013, "price"),
    ({"qty": "0.0105"}, -1013, "qty"),
    ({"qty": "0.0005"}, -1013, "qty"),
    ({"qty": "1000.001"}, -1013, "qty"),
    ({"qty": "0.001", "price": "999.99"}, -1013, "qty"),
    ({"status": "FILLED"}, -1104, "status"),
    ({"filled": "1"}, -1104, "filled"),
    ({"user": 1}, -1104, "user"),
    ({"fee": "0"}, -1104, "fee"),
    ({"id": 7}, -1104, "id"),
]


@pytest.mark.parametrize(("overrides", "code", "field"), BAD_INPUTS)
def test_each_bad_input_is_refused_with_its_code_before_the_engine(
    api, funded, engine, overrides, code, field
):
    response = place(api, **overrides)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert response.json()["field"] == field
    assert engine.calls == []
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"price": "100.005"}, "FILTER_TICK_SIZE"),
        ({"qty": "0.0105"}, "FILTER_LOT_SIZE"),
        ({"qty": "0.005"}, "FILTER_MIN_QTY"),
        ({"qty": "1000.001"}, "FILTER_MAX_QTY"),
        ({"qty": "0.01", "price": "99.99"}, "FILTER_MIN_NOTIONAL"),
    ],
)
def test_filter_failures_name_the_filter_in_reason(api, funded, engine, btc_usd, overrides, reason):
    btc_usd.min_qty, btc_usd.min_notional = Decimal("0.01"), Decimal("1")
    btc_usd.save()
    assert place(api, **overrides).json()["reason"] == reason


@pytest.mark.parametrize("body", ["not json", "[1, 2]", "null", '"x"'])
def test_a_body_that_is_not_a_json_object_is_refused(api, funded, engine, body):
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] in (-1101, -1102, -1100)
    assert engine.calls == []


@pytest.mark.parametrize(
    ("status", "reason"), [("HALTED", "WORKER_INSTRUMENT_HALTED"), ("CANCEL_ONLY", "WORKER_CANCEL_ONLY")]
)
def test_an_instrument_not_trading_refuses_new_orders(api, funded, engine, btc_usd, status, reason):
    btc_usd.status = status
    btc_usd.save()
    response = place(api)
    assert (response.status_code, response.json()["code"], response.json()["reason"]) == (400, -2010, reason)
    assert not Order.objects.exists()


def test_anonymous_clients_cannot_place_orders(funded, engine):
    from rest_framework.test import APIClient

    response = APIClient().post(URL, limit_buy(), format="json")
    assert (response.status_code, response.json()["code"]) == (401, -1002)
    assert engine.calls == []


def test_an_api_key_without_trade_scope_cannot_place_orders(alice, funded, engine):
    from rest_framework.test import APIClient

    key = ApiKey.objects.create(
        user=alice, key="qx_readonly", secret_encrypted="-", can_read=True, can_trade=False
    )
    client = APIClient()
    client.force_authenticate(alice, token=key)
    response = client.post(URL, limit_buy(), format="json")
    assert (response.status_code, response.json()["code"]) == (403, -2015)
    assert engine.calls == []


# -------------------------------------------------------------------------- placement


def test_a_limit_order_is_placed_and_returned_with_201(api, funded, engine):
    response = place(api, client_order_id="my-order-1")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["client_order_id"] == "my-order-1"
    assert (body["symbol"], body["side"], body["type"], body["tif"], body["stp"]) == (
        "BTC-USD", "BUY", "LIMIT", "GTC", "NONE")  # fmt: skip
    assert body["status"] == "NEW"
    assert body["fills"] == []
    assert Order.objects.get(id=body["id"]).client_order_id == "my-order-1"


def test_amounts_are_strings_with_exactly_eight_decimals(api, funded, engine):
    body = place(api).json()
    assert (body["qty"], body["price"], body["remaining"], body["filled"]) == (
        "0.01000000", "100.00000000", "0.01000000", "0.00000000")  # fmt: skip
    assert body["quote_qty"] is None and body["stop_price"] is None


def test_the_placed_order_reads_back_the_same_through_get(api, funded, engine):
    placed = place(api).json()
    fetched = api.get(reverse("api-order", args=[placed["id"]])).json()
    placed.pop("fills")
    assert fetched == placed


def test_a_client_order_id_is_generated_when_absent(api, funded, engine):
    body = place(api).json()
    assert len(body["client_order_id"]) == 32
    assert Order.objects.get(id=body["id"]).client_order_id == body["client_order_id"]


def test_sending_a_client_order_id_again_returns_the_original_with_200_and_changes_nothing(
    api, alice, funded, engine
):
    first = place(api, client_order_id="retry-me")
    ledger = LedgerEntry.objects.count()
    again = place(api, client_order_id="retry-me", qty="0.5")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["qty"] == "0.01000000"
    assert Order.objects.count() == 1
    assert LedgerEntry.objects.count() == ledger


@pytest.mark.parametrize(
    "overrides",
    [{"qty": "0.0105"}, {"type": "MARKET"}, {"symbol": "DOGE-USD"}],
    ids=["off-the-lot", "wrong-shape", "unknown-symbol"],
)
def test_a_client_order_id_used_before_returns_the_original_even_if_the_request_is_now_refused(
    api, funded, engine, overrides
):
    first = place(api, client_order_id="retry-me")
    calls = len(engine.calls)
    again = place(api, client_order_id="retry-me", **overrides)
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    assert len(engine.calls) == calls
    assert Order.objects.count() == 1


def test_a_client_order_id_used_before_returns_the_original_after_the_instrument_halted(
    api, funded, engine, btc_usd
):
    first = place(api, client_order_id="retry-me")
    btc_usd.status = "HALTED"
    btc_usd.save()
    again = place(api, client_order_id="retry-me")
    assert (again.status_code, again.json()["id"], again.json()["status"]) == (200, first.json()["id"], "NEW")


def test_the_place_command_says_whether_the_api_generated_the_client_order_id(api, funded, engine):
    place(api)
    place(api, client_order_id="mine-1")
    assert [c["client_order_id_generated"] for c in engine.calls] == [True, False]


def test_the_same_client_order_id_of_another_user_is_a_different_order(api, bob_api, bob, funded, engine):
    fund(bob, "USD", "1000")
    mine = place(api, client_order_id="same")
    theirs = place(bob_api, client_order_id="same")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_insufficient_funds_is_minus_2010_and_writes_nothing(api, alice, btc_usd, engine):
    fund(alice, "USD", "0.5")
    entries = LedgerEntry.objects.count()
    response = place(api)
    assert (response.status_code, response.json()["code"]) == (400, -2010)
    assert response.json()["reason"] == "RISK_INSUFFICIENT_FUNDS"
    assert not Order.objects.exists()
    assert LedgerEntry.objects.count() == entries


def test_a_limit_maker_that_would_take_is_rejected_with_its_order_id(api, bob_api, bob, funded, engine):
    fund(bob, "BTC", "1")
    assert place(bob_api, side="SELL", qty="1").status_code == 201
    response = place(api, type="LIMIT_MAKER", price="100.00")
    body = response.json()
    assert (response.status_code, body["code"], body["reason"]) == (400, -2010, "MATCHING_WOULD_TAKE")
    assert Order.objects.get(id=body["order_id"]).status == "REJECTED"


def test_a_market_order_by_quote_amount_is_accepted(api, funded, engine):
    response = place(api, type="MARKET", price=..., qty=..., quote_qty="50")
    assert response.status_code == 201, response.json()
    assert response.json()["quote_qty"] == "50.00000000"
    assert response.json()["qty"] is None


def test_a_stop_loss_limit_order_rests_until_triggered(api, funded, engine):
    response = place(api, side="SELL", type="STOP_LOSS_LIMIT", qty="0.5", price="90.00", stop_price="95.00")
    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["stop_price"]) == ("NEW", "95.00000000")


def test_an_ioc_order_that_finds_nothing_expires(api, funded, engine):
    response = place(api, tif="IOC")
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["reason"]) == ("EXPIRED", "MATCHING_NO_LIQUIDITY")


def test_null_optional_fields_mean_not_given(api, funded, engine):
    response = place(api, client_order_id=None, tif=None, stop_price=None, quote_qty=None)
    assert response.status_code == 201, response.json()
    assert response.json()["tif"] == "GTC"


# -------------------------------------------------------------------------- engine failures


def test_no_reply_in_time_is_503_status_unknown_with_the_client_order_id(api, funded, engine):
    engine.fail_with = EngineUnavailable("timeout")
    response = place(api, client_order_id="lost-1")
    assert response.status_code == 503
    assert (response.json()["code"], response.json()["client_order_id"]) == (-1007, "lost-1")


def test_an_order_whose_reply_was_lost_is_found_by_client_order_id_and_a_retry_returns_it(
    api, funded, engine
):
    engine.lose_reply = True
    lost = place(api, client_order_id="lost-2")
    assert (lost.status_code, lost.json()["code"]) == (503, -1007)
    engine.lose_reply = False
    lookup = api.get(reverse("api-order-by-client-id", args=["lost-2"]))
    assert (lookup.status_code, lookup.json()["status"]) == (200, "NEW")
    retry = place(api, client_order_id="lost-2")
    assert (retry.status_code, retry.json()["id"]) == (200, lookup.json()["id"])
    assert Order.objects.count() == 1


def test_an_order_that_never_reached_the_engine_is_not_found_and_can_be_resent(api, funded, engine):
    engine.fail_with = EngineUnavailable("timeout")
    place(api, client_order_id="lost-3")
    lookup = api.get(reverse("api-order-by-client-id", args=["lost-3"]))
    assert (lookup.status_code, lookup.json()["code"]) == (404, -2013)
    engine.fail_with = None
    assert place(api, client_order_id="lost-3").status_code == 201


def test_a_busy_engine_is_503_server_busy(api, funded, engine):
    engine.fail_with = EngineBusy("full")
    response = place(api)
    assert (response.status_code, response.json()["code"]) == (503, -1008)


def test_placing_is_throttled_per_user(api, funded, engine, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "order_place": "2/min",
        },
    }
    codes = [place(api).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert api.get(URL).status_code == 200  # listing is not counted
    other = make_user("carol")
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(other)
    assert client.post(URL, limit_buy(), format="json").status_code != 429
    cache.clear()


def test_orders_on_another_instrument_use_its_own_filters(api, alice, funded, engine):
    make_instrument("ETH-USD", tick_size=Decimal("0.1"), lot_size=Decimal("0.01"), min_notional=Decimal("0"))
    response = place(api, symbol="ETH-USD", qty="0.01", price="100.05")
    assert (response.json()["code"], response.json()["reason"]) == (-1013, "FILTER_TICK_SIZE")


# -------------------------------------------------------------------------- no 500 from any input

_junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["0", "-0", "1e-9", "1E+40", "92233720368.54775807", "92233720368.54775808", "0.001", "100.00",
                     "NaN", "sNaN", "-Infinity", " 1 ", "1_000", "０.５"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip
_templates = [
    {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": "0.010", "price": "100.00"},
    {"symbol": "BTC-USD", "side": "SELL", "type": "LIMIT", "qty": "0.5", "price": "101", "tif": "IOC"},
    {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT_MAKER", "qty": "0.010", "price": "99.5"},
    {"symbol": "BTC-USD", "side": "BUY", "type": "MARKET", "quote_qty": "50"},
    {"symbol": "BTC-USD", "side": "SELL", "type": "MARKET", "qty": "0.2", "stp": "EXPIRE_BOTH"},
    {
        "symbol": "BTC-USD",
        "side": "SELL",
        "type": "STOP_LOSS_LIMIT",
        "qty": "0.5",
        "price": "90",
        "stop_price": "95",
    },
    {
        "symbol": "BTC-USD",
        "side": "BUY",
        "type": "TAKE_PROFIT_LIMIT",
        "qty": "1",
        "price": "90",
        "stop_price": "91",
    },
]
_fields = sorted({k for t in _templates for k in t} | {"client_order_id"})
_bodies = st.builds(
    lambda template, changes, dropped, coid: {
        **{k: v for k, v in template.items() if k not in dropped},
        **changes,
        **({"client_order_id": coid} if coid else {}),
    },
    st.sampled_from(_templates),
    st.dictionaries(st.sampled_from(_fields), _junk, max_size=2),
    st.sets(st.sampled_from(_fields), max_size=1),
    st.sampled_from([None, None, "a", "b", "c-1"]),
)


@hypothesis.settings(
    max_examples=150, deadline=None, suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture]
)
@hypothesis.given(body=_bodies)
def test_no_input_produces_a_500_and_a_refusal_writes_no_order(api, funded, engine, body):
    before = Order.objects.count()
    response = api.post(URL, body, format="json")
    hypothesis.event(f"{response.status_code} {response.json().get('code', response.json().get('status'))}")
    assert response.status_code in (200, 201, 400), response.content
    assert isinstance(response.json()["code" if response.status_code == 400 else "id"], int)
    if response.status_code == 400 and "order_id" not in response.json():
        assert Order.objects.count() == before


@pytest.mark.parametrize("raw", ['{"qty": NaN}', '{"qty": Infinity}', '{"qty": 1e999}', '{"qty": -0.0}'])
def test_non_standard_json_numbers_are_refused(api, funded, engine, raw):
    body = raw[:-1] + ', "symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "price": "100"}'
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert engine.calls == []
