"""The per-process instrument cache: when a change to an instrument is seen.

The engine writes a status change with a queryset update (no model signal), as another process
would; a test "waits" by moving the cache's clock.
"""

import time
from decimal import Decimal

import pytest
from django.urls import reverse

from engine.client import engine_request_sync, seam
from tests.factories import fund, make_asset
from trading import selectors
from trading.models import Instrument, Order
from trading.selectors import instrument_get
from trading.staff import instrument_set_status

pytestmark = pytest.mark.django_db
ORDERS = reverse("api-orders")
BUY = {"symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": "0.010", "price": "100.00"}
BOUND = 5


@pytest.fixture(autouse=True)
def _bound(settings):
    settings.INSTRUMENT_CACHE_SECONDS = BOUND


@pytest.fixture
def funded(alice, btc_usd):
    fund(alice, "USD", "1000")


def test_an_instrument_halted_through_the_admin_action_is_seen_by_the_next_request(
    api, alice, admin_user, funded, btc_usd, engine
):
    assert api.post(ORDERS, BUY, format="json").status_code == 201
    instrument_set_status(instrument=btc_usd, status="HALTED", staff=admin_user)
    calls = len(engine.calls)
    response = api.post(ORDERS, BUY, format="json")
    assert (response.status_code, response.json()["code"], response.json()["reason"]) == (
        400,
        -2010,
        "WORKER_INSTRUMENT_HALTED",
    )
    assert len(engine.calls) == calls  # refused from the fresh cache, before the engine
    assert Order.objects.count() == 1


def test_an_instrument_halted_by_another_process_refuses_the_next_order(api, funded, btc_usd, engine):
    assert api.post(ORDERS, BUY, format="json").status_code == 201
    # Straight to the engine, not through this process's seam: only the engine's reply can tell us.
    assert engine_request_sync({"op": "set_status", "symbol": "BTC-USD", "status": "HALTED", "staff_id": 1})[
        "ok"
    ]
    response = api.post(ORDERS, BUY, format="json")
    assert (response.status_code, response.json()["code"], response.json()["reason"]) == (
        400,
        -2010,
        "WORKER_INSTRUMENT_HALTED",
    )
    assert Order.objects.count() == 1


def test_a_new_instruments_version_in_an_engine_reply_drops_the_cache(btc_usd):
    """The client's reply listener reports each reply's `instruments_version`; a new one drops the copy."""
    seen = seam._instruments_version_seen  # what the reply listener calls for every reply it takes
    seen("v1")
    assert instrument_get(symbol="BTC-USD").status == "TRADING"
    Instrument.objects.filter(pk=btc_usd.pk).update(status="HALTED")  # as the engine writes it
    seen("v1")  # the same token again: kept
    seen(None)  # a reply without a token: kept
    assert instrument_get(symbol="BTC-USD").status == "TRADING"
    seen("v2")
    assert instrument_get(symbol="BTC-USD").status == "HALTED"


def test_a_change_nobody_told_this_process_about_is_seen_after_the_bound(btc_usd, monkeypatch):
    assert instrument_get(symbol="BTC-USD").min_qty == Decimal("0.001")
    Instrument.objects.filter(pk=btc_usd.pk).update(min_qty=Decimal("0.01"))
    assert instrument_get(symbol="BTC-USD").min_qty == Decimal("0.001")  # within the bound
    monkeypatch.setattr(selectors, "clock", lambda: time.monotonic() + BOUND + 0.1)
    assert instrument_get(symbol="BTC-USD").min_qty == Decimal("0.01")


def test_saving_an_instrument_in_this_process_drops_the_cache_at_once(btc_usd):
    assert instrument_get(symbol="BTC-USD").max_qty == Decimal("1000")
    btc_usd.max_qty = Decimal("5")
    btc_usd.save()  # what the admin's change form does
    assert instrument_get(symbol="BTC-USD").max_qty == Decimal("5")


def test_an_instrument_created_elsewhere_is_found_at_once(btc_usd, django_assert_num_queries):
    instrument_get(symbol="BTC-USD")
    Instrument.objects.bulk_create(  # no signal, as in another process
        [Instrument(symbol="ETH-USD", base=make_asset("ETH"), quote=make_asset("USD"), tick_size=Decimal("0.01"),
                    lot_size=Decimal("0.001"), min_qty=Decimal("0.001"), max_qty=Decimal("10"))]
    )  # fmt: skip
    assert instrument_get(symbol="ETH-USD").symbol == "ETH-USD"
    with django_assert_num_queries(1):  # the cache was reloaded, with ETH-USD in it
        instrument_get(symbol="BTC-USD")
        instrument_get(symbol="ETH-USD")


def test_an_unknown_symbol_is_still_minus_1121(btc_usd):
    from quantx_site.errors import ApiError

    instrument_get(symbol="BTC-USD")
    with pytest.raises(ApiError) as refused:
        instrument_get(symbol="DOGE-USD")
    assert (refused.value.error_code, refused.value.extra["field"]) == (-1121, "symbol")
