"""POST /api/v1/orders/test/: a test order is refused exactly as a place, estimates from the book
and balances as they are, and changes nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Balance, LedgerEntry
from tests.factories import fund, make_user
from trading.models import Order, Trade

pytestmark = pytest.mark.django_db
PLACE = reverse("api-orders")
TEST = reverse("api-order-test")


def body(**overrides):
    b = {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": "0.6", "price": "101.00"}
    b.update(overrides)
    return {k: v for k, v in b.items() if v is not ...}


def snapshot():
    """Everything a test order must leave as it is."""
    return (
        list(Order.objects.order_by("id").values_list("id", "status", "remaining", "client_order_id")),
        list(Balance.objects.order_by("id").values_list("id", "free", "locked")),
        LedgerEntry.objects.count(),
        Trade.objects.count(),
    )


@pytest.fixture
def book(api, bob_api, alice, bob, btc_usd, engine):
    """Bob's asks: 0.2 at 100.00, 0.3 at 101.00 (two orders: 0.1 + 0.2), 1 at 105.00; his bid 0.5 at 99.00.
    Alice has 1000 USD and 2 BTC."""
    fund(alice, "USD", "1000")
    fund(alice, "BTC", "2")
    fund(bob, "USD", "1000")
    fund(bob, "BTC", "10")
    for qty, price, side in (("0.2", "100.00", "SELL"), ("0.1", "101.00", "SELL"), ("0.2", "101.00", "SELL"),
                             ("1", "105.00", "SELL"), ("0.5", "99.00", "BUY")):  # fmt: skip
        r = bob_api.post(PLACE, body(side=side, qty=qty, price=price), format="json")
        assert r.status_code == 201, r.json()
    return api


def test_a_limit_buy_that_crosses_two_levels_is_estimated_level_by_level(book):
    before = snapshot()
    r = book.post(TEST, body(), format="json")
    assert r.status_code == 200, r.json()
    est = r.json()
    assert snapshot() == before
    assert est["fills"] == [
        {"price": "100.00000000", "qty": "0.20000000", "quote_qty": "20.00000000"},
        {"price": "101.00000000", "qty": "0.30000000", "quote_qty": "30.30000000"},
    ]
    # 0.2% of the BTC received, per trade: 0.2, 0.1 and 0.2 BTC -> 0.0004 + 0.0002 + 0.0004
    assert (est["status"], est["reason"], est["filled"], est["quote_filled"], est["avg_price"]) == (
        "PARTIALLY_FILLED", "", "0.50000000", "50.30000000", "100.60000000")  # fmt: skip
    assert (est["fee"], est["fee_asset"], est["fee_rate"]) == ("0.00100000", "BTC", "0.00200000")
    assert (est["rests"], est["rest_price"]) == ("0.10000000", "101.00000000")
    assert (est["hold_asset"], est["hold"], est["locked_after"]) == ("USD", "60.60000000", "10.10000000")
    assert (est["duplicate"], est["order"]) == (False, None)


def test_the_estimate_is_what_the_real_place_then_does(book, alice):
    est = book.post(TEST, body(), format="json").json()
    placed = book.post(PLACE, body(), format="json").json()
    assert placed["status"] == est["status"] and placed["remaining"] == est["rests"]
    assert placed["filled"] == est["filled"] and placed["quote_filled"] == est["quote_filled"]
    fee = sum(Decimal(f["fee"]) for f in placed["fills"])
    assert f"{fee:.8f}" == est["fee"]
    usd = Balance.objects.get(user=alice, asset__code="USD")
    assert f"{usd.locked:.8f}" == est["locked_after"]


EIGHT = "0.00000000"


@pytest.mark.parametrize(
    ("overrides", "status", "reason", "filled", "quote_filled", "rests", "rest_price"),
    [
        ({"type": "MARKET", "price": ..., "qty": "0.25"}, "FILLED", "", "0.25", "25.05", "0", None),
        # 20 USD buy 0.2 at 100.00; the 30 left buy 0.297 at 101.00 (0.101 a lot): 29.997
        ({"type": "MARKET", "price": ..., "qty": ..., "quote_qty": "50"}, "FILLED", "", "0.497", "49.997", "0", None),
        ({"type": "MARKET", "price": ..., "qty": "5"}, "EXPIRED", "MATCHING_NO_LIQUIDITY", "1.5", "155.3", "0", None),
        ({"type": "MARKET", "side": "SELL", "price": ..., "qty": "0.4"}, "FILLED", "", "0.4", "39.6", "0", None),
        ({"tif": "IOC"}, "EXPIRED", "MATCHING_NO_LIQUIDITY", "0.5", "50.3", "0", None),
        ({"tif": "FOK"}, "EXPIRED", "MATCHING_FOK_NOT_FILLABLE", "0", "0", "0", None),
        ({"tif": "FOK", "qty": "0.5"}, "FILLED", "", "0.5", "50.3", "0", None),
        ({"price": "99.50"}, "NEW", "", "0", "0", "0.6", "99.50"),
        ({"type": "LIMIT_MAKER", "price": "99.50"}, "NEW", "", "0", "0", "0.6", "99.50"),
        ({"type": "STOP_LOSS_LIMIT", "side": "SELL", "price": "90.00", "stop_price": "95.00", "qty": "0.5"},
         "NEW", "", "0", "0", "0.5", "90.00"),
        ({"type": "TAKE_PROFIT_LIMIT", "price": "120.00", "stop_price": "110.00", "qty": "0.5"},
         "NEW", "", "0", "0", "0.5", "120.00"),
    ],
    ids=["market-qty", "market-quote", "market-runs-out", "market-sell", "ioc", "fok-cannot-fill", "fok-fills",
         "limit-rests", "limit-maker", "stop-loss-waits", "take-profit-waits"],
)  # fmt: skip
def test_each_order_type_is_estimated_as_placing_it_then_ends(
    book, overrides, status, reason, filled, quote_filled, rests, rest_price
):
    before = snapshot()
    est = book.post(TEST, body(**overrides), format="json").json()
    assert snapshot() == before
    eight = {k: f"{Decimal(v):.8f}" for k, v in
             {"filled": filled, "quote_filled": quote_filled, "rests": rests}.items()}  # fmt: skip
    assert (est["status"], est["reason"], est["filled"], est["quote_filled"], est["rests"]) == (
        status, reason, eight["filled"], eight["quote_filled"], eight["rests"])  # fmt: skip
    assert est["rest_price"] == (None if rest_price is None else f"{Decimal(rest_price):.8f}")
    placed = book.post(PLACE, body(**overrides), format="json").json()
    assert (placed["status"], placed["reason"], placed["filled"], placed["quote_filled"], placed["remaining"]) == (
        est["status"], est["reason"], est["filled"], est["quote_filled"], est["rests"])  # fmt: skip
    if est["fills"]:
        assert est["avg_price"] == f"{Decimal(est['quote_filled']) / Decimal(est['filled']):.8f}"


def test_a_stop_waiting_holds_what_it_would_hold_once_triggered(book):
    est = book.post(TEST, body(type="STOP_LOSS_LIMIT", side="BUY", price="110.00", stop_price="108.00",
                               qty="0.5"), format="json").json()  # fmt: skip
    assert (est["hold_asset"], est["hold"], est["locked_after"]) == ("USD", "55.00000000", "55.00000000")


def test_self_trade_prevention_is_estimated_truthfully(book, bob_api):
    r = bob_api.post(TEST, body(stp="EXPIRE_TAKER", qty="0.6", price="99.00", side="SELL"), format="json")
    assert (r.json()["status"], r.json()["reason"], r.json()["fills"]) == ("EXPIRED", "MATCHING_STP", [])
    r = bob_api.post(TEST, body(stp="NONE", qty="0.6", price="99.00", side="SELL"), format="json")
    assert (r.json()["status"], r.json()["filled"]) == ("PARTIALLY_FILLED", "0.50000000")


# ----------------------------------------------------------------------------- refusals


def _compare(api, overrides, cid=None):
    """The test call's answer and then a real place's, with the same body."""
    extra = {"client_order_id": cid} if cid else {}
    before = snapshot()
    tested = api.post(TEST, body(**overrides, **extra), format="json")
    assert snapshot() == before, "a refused test order changed something"
    placed = api.post(PLACE, body(**overrides, **extra), format="json")
    return tested, placed


BAD_BODIES = [
    {"symbol": "DOGE-USD"}, {"symbol": ...}, {"side": "HOLD"}, {"qty": "abc"}, {"qty": "-1"}, {"qty": True},
    {"qty": "0.000000001"}, {"price": ...}, {"type": "MARKET"}, {"type": "MARKET", "price": ..., "qty": ...},
    {"quote_qty": "50"}, {"type": "STOP_LOSS_LIMIT"}, {"stop_price": "90"}, {"type": "LIMIT_MAKER", "tif": "GTC"},
    {"tif": "DAY"}, {"stp": "EXPIRE_ALL"}, {"client_order_id": "has space"}, {"price": "100.005"},
    {"qty": "0.0105"}, {"qty": "1000.001"}, {"qty": "0.001", "price": "99.99"}, {"status": "FILLED"}, {"id": 7},
]  # fmt: skip


@pytest.mark.parametrize("overrides", BAD_BODIES)
def test_a_bad_body_is_refused_exactly_as_a_place(book, overrides):
    tested, placed = _compare(book, overrides)
    assert tested.status_code == placed.status_code == 400
    assert tested.json() == placed.json()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"qty": "100"}, "RISK_INSUFFICIENT_FUNDS"),
        ({"side": "SELL", "price": "200.00", "qty": "3"}, "RISK_INSUFFICIENT_FUNDS"),
        ({"type": "LIMIT_MAKER", "price": "100.00"}, "MATCHING_WOULD_TAKE"),
        ({"type": "STOP_LOSS_LIMIT", "side": "SELL", "price": "99.00", "stop_price": "100.50", "qty": "0.5"},
         "MATCHING_WOULD_TRIGGER_IMMEDIATELY"),
    ],
)  # fmt: skip
def test_an_order_the_engine_refuses_is_refused_exactly_as_a_place(book, overrides, reason):
    book.post(PLACE, body(type="MARKET", price=..., qty="0.001"), format="json")  # a last price: 100.00
    tested, placed = _compare(book, overrides, cid=f"same-{reason[:20]}")
    assert tested.status_code == placed.status_code == 400
    refused = placed.json()
    refused.pop("order_id", None)  # a REJECTED place is stored and named; a test stores nothing
    assert tested.json() == refused
    assert refused["reason"] == reason and refused["code"] == -2010


@pytest.mark.parametrize(("status", "reason"), [("HALTED", "WORKER_INSTRUMENT_HALTED"),
                                                ("CANCEL_ONLY", "WORKER_CANCEL_ONLY")])  # fmt: skip
def test_an_instrument_not_trading_refuses_a_test_order_as_a_place(book, btc_usd, status, reason):
    from trading.staff import instrument_set_status

    instrument_set_status(instrument=btc_usd, status=status, staff=make_user("staffer", is_staff=True))
    tested, placed = _compare(book, {}, cid="halted-1")
    assert tested.status_code == placed.status_code == 400
    assert tested.json() == placed.json()
    assert tested.json()["reason"] == reason


# ----------------------------------------------------------------------------- nothing changes


def test_test_orders_consume_no_order_id_and_no_client_order_id(book):
    first = book.post(PLACE, body(price="90.00", qty="0.1"), format="json").json()
    for overrides in (
        {},
        {"type": "LIMIT_MAKER", "price": "100.00"},
        {"qty": "100"},
        {"client_order_id": "later"},
    ):
        book.post(TEST, body(**overrides), format="json")
    second = book.post(PLACE, body(price="90.00", qty="0.1", client_order_id="later"), format="json")
    assert second.status_code == 201, second.json()
    assert second.json()["id"] == first["id"] + 1


def test_a_client_order_id_used_before_answers_the_original_as_a_place_would(book):
    original = book.post(PLACE, body(price="90.00", qty="0.1", client_order_id="dup-1"), format="json").json()
    before = snapshot()
    for overrides in ({}, {"qty": "0.0105"}):  # a place returns the original whatever the rest says
        r = book.post(TEST, body(client_order_id="dup-1", **overrides), format="json")
        assert r.status_code == 200, r.json()
        assert (r.json()["duplicate"], r.json()["order"]["id"], r.json()["fills"]) == (
            True,
            original["id"],
            [],
        )
        assert (r.json()["hold"], r.json()["status"]) == (EIGHT, "NEW")
    assert snapshot() == before


def test_test_orders_do_not_count_as_orders_for_the_rate_limit(book, settings):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "order_place": "1/min", "order_test": "3/min"}}  # fmt: skip
    assert [book.post(TEST, body(), format="json").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert book.post(PLACE, body(price="90.00", qty="0.1"), format="json").status_code == 201
    assert book.post(PLACE, body(price="90.00", qty="0.1"), format="json").status_code == 429


def test_unknown_query_parameters_are_refused(book):
    r = book.post(TEST + "?test=true", body(), format="json")
    assert (r.status_code, r.json()["code"]) == (400, -1104)


def test_a_test_order_needs_the_trade_scope(alice, book):
    from rest_framework.test import APIClient

    from accounts.models import ApiKey

    key = ApiKey.objects.create(user=alice, key="qx_ro", secret_encrypted="-", can_read=True, can_trade=False)
    client = APIClient()
    client.force_authenticate(alice, token=key)
    assert client.post(TEST, body(), format="json").json()["code"] == -2015
