"""start_time / end_time (ms, both inclusive, as Binance) on my orders, my trades and my ledger:
strict values, and ranges that keep to themselves across cursor pages."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import LedgerEntry
from quantx_site.time_range import MAX_TIME_MS, ms_to_datetime
from tests.factories import make_asset, make_order, make_trade

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]  # (millisecond boundaries on both databases)

T = 1_764_600_000_000  # 2025-12-01T14:40:00Z
MS = timedelta(milliseconds=1)


def at(row, ms: int, extra_us: int = 0):
    """Moves a row's created_at to `ms` (+ `extra_us` microseconds) and returns it."""
    type(row).objects.filter(pk=row.pk).update(
        created_at=ms_to_datetime(ms) + timedelta(microseconds=extra_us)
    )
    return row


def ids(response, key="id"):
    assert response.status_code == 200, response.json()
    return [row[key] for row in response.json()["results"]]


@pytest.fixture
def orders(alice, btc_usd):
    """Orders of mine at T-1 ms, T, T + 0.5 ms (the same millisecond as T) and T + 1 s."""
    return {
        name: at(make_order(alice, btc_usd), ms, us).id
        for name, ms, us in (("before", T - 1, 0), ("at", T, 0), ("within", T, 500), ("after", T + 1000, 0))
    }


def test_start_time_is_inclusive(api, orders):
    got = ids(api.get(reverse("api-orders"), {"start_time": T}))
    assert got == [orders["after"], orders["within"], orders["at"]]


def test_end_time_is_inclusive_to_the_whole_millisecond(api, orders):
    got = ids(api.get(reverse("api-orders"), {"end_time": T}))
    assert got == [orders["within"], orders["at"], orders["before"]]


def test_start_equal_to_end_is_that_millisecond(api, orders):
    got = ids(api.get(reverse("api-orders"), {"start_time": T, "end_time": T}))
    assert got == [orders["within"], orders["at"]]


def test_the_widest_range_is_everything(api, orders):
    got = ids(api.get(reverse("api-orders"), {"start_time": 0, "end_time": MAX_TIME_MS}))
    assert sorted(got) == sorted(orders.values())


def test_a_range_combines_with_the_other_filters(api, alice, btc_usd, orders):
    sell = at(make_order(alice, btc_usd, side="SELL"), T)
    got = ids(api.get(reverse("api-orders"), {"start_time": T, "end_time": T, "side": "SELL"}))
    assert got == [sell.id]


def test_cursor_pages_stay_within_the_range(api, alice, btc_usd):
    inside = [at(make_order(alice, btc_usd), T + i).id for i in range(7)]
    for i in range(3):
        at(make_order(alice, btc_usd), T + 100 + i)  # outside, and newer (ids higher)
        at(make_order(alice, btc_usd), T - 100 - i)  # outside, older
    url = reverse("api-orders") + f"?start_time={T}&end_time={T + 6}&limit=3"
    seen, pages = [], 0
    while url:
        body = api.get(url).json()
        seen += [o["id"] for o in body["results"]]
        url, pages = body["next"], pages + 1
        if url:
            assert f"start_time={T}" in url and f"end_time={T + 6}" in url
    assert seen == sorted(inside, reverse=True)
    assert pages == 3


@pytest.mark.parametrize("url_name", ["api-orders", "api-trades", "api-ledger"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start_time": "abc"}, "start_time"),
        ({"start_time": "-1"}, "start_time"),
        ({"start_time": "1.5"}, "start_time"),
        ({"start_time": "1e3"}, "start_time"),
        ({"start_time": ""}, "start_time"),
        ({"end_time": str(MAX_TIME_MS + 1)}, "end_time"),
        ({"end_time": "9" * 30}, "end_time"),
        ({"start_time": str(T + 1), "end_time": str(T)}, "start_time"),
        ({"start_time": [str(T), "x"]}, "start_time"),
    ],
)
def test_bad_times_are_400_minus_1100_and_name_the_parameter(api, url_name, query, field):
    response = api.get(reverse(url_name), query)
    assert response.status_code == 400, response.json()
    assert (response.json()["code"], response.json()["field"]) == (-1100, field)


def test_my_trades_filter_by_time(api, alice, bob, btc_usd):
    mine = make_order(alice, btc_usd)
    theirs = make_order(bob, btc_usd, side="SELL")
    early = at(make_trade(mine, theirs, price="100", qty="0.1"), T - 1)
    on_time = at(make_trade(mine, theirs, price="100", qty="0.1"), T, 999)
    late = at(make_trade(mine, theirs, price="100", qty="0.1"), T + 1)
    url = reverse("api-trades")
    assert ids(api.get(url, {"start_time": T}), "trade_id") == [late.id, on_time.id]
    assert ids(api.get(url, {"end_time": T}), "trade_id") == [on_time.id, early.id]
    assert ids(api.get(url, {"start_time": T, "end_time": T, "limit": 1}), "trade_id") == [on_time.id]


def test_my_ledger_filters_by_time(api, alice):
    usd = make_asset("USD")

    def entry(ms):
        row = LedgerEntry.objects.create(user=alice, asset=usd, delta_free=Decimal(1), delta_locked=Decimal(0),
                                         reason="DEPOSIT")  # fmt: skip
        return at(row, ms).id

    early, on_time, late = entry(T - 1), entry(T), entry(T + 1)
    url = reverse("api-ledger")
    assert ids(api.get(url, {"start_time": T})) == [late, on_time]
    assert ids(api.get(url, {"end_time": T})) == [on_time, early]
    assert ids(api.get(url, {"start_time": T, "end_time": T, "asset": "USD"})) == [on_time]


@pytest.mark.parametrize("path", ["/api/v1/orders/", "/api/v1/trades/", "/api/v1/ledger/"])
def test_the_schema_documents_the_range_with_its_bounds(path):
    from rest_framework.test import APIClient

    schema = APIClient().get("/api/v1/schema/?format=json").json()
    params = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
    for name in ("start_time", "end_time"):
        assert params[name]["in"] == "query" and not params[name].get("required", False)
        assert (params[name]["schema"]["minimum"], params[name]["schema"]["maximum"]) == (0, MAX_TIME_MS)
