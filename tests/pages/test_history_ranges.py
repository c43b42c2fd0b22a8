"""The "From" / "To" filters of the orders, fills and ledger pages (and their CSV exports): the API's
own range (start_time / end_time, quantx_site.time_range), typed as UTC dates, inclusive to what was
typed; older-page links keep the range; a bad date is a form error, never a 500."""

import csv
import io
import re
from datetime import UTC, datetime
from html import unescape

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import LedgerEntry
from quantx_site.time_range_form import BAD_DATE, OUT_OF_RANGE, START_AFTER_END
from tests.engine.helpers import place
from trading.models import Order, Trade

pytestmark = pytest.mark.django_db

JAN_10_NOON = datetime(2026, 1, 10, 12, 0, 30, tzinfo=UTC)
MARCH_1 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def ids_on(html, attribute="data-order-id"):
    return [int(i) for i in re.findall(rf'{attribute}="(\d+)"', html)]


def ms(moment):
    return int(moment.timestamp() * 1000)


@pytest.fixture
def two_orders(alice, funded):
    """alice's order of January 10, 12:00:30 and her order of March 1 (ids in that order)."""
    first = place(alice, "BUY", "90.00", "0.100")["order"]["id"]
    second = place(alice, "BUY", "91.00", "0.100")["order"]["id"]
    Order.objects.filter(id=first).update(created_at=JAN_10_NOON)
    Order.objects.filter(id=second).update(created_at=MARCH_1)
    return first, second


@pytest.mark.parametrize(
    ("start", "end", "shown"),
    [
        ("2026-01-10", "2026-01-10", "first"),  # a date alone: the whole day, both ends
        ("2026-01-10T12:01", "", "second"),  # from the next minute on
        ("", "2026-01-10T12:00", "first"),  # to the end of that minute (12:00:30 is in it)
        ("", "2026-01-10 12:00:29", "none"),  # seconds, a space instead of the T
        ("2026-01-01", "2026-12-31", "both"),
    ],
)
def test_the_orders_page_filters_from_and_to(page, two_orders, start, end, shown):
    first, second = two_orders
    response = page.get(reverse("orders"), {"start": start, "end": end})
    expected = {"first": [first], "second": [second], "none": [], "both": [second, first]}[shown]
    assert response.status_code == 200 and ids_on(response.content.decode()) == expected


def test_the_page_and_the_api_give_the_same_orders_for_a_range(page, alice, two_orders):
    api = APIClient()
    api.force_authenticate(alice)
    start, end = datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 1, 10, 23, 59, 59, 999000, tzinfo=UTC)
    from_api = api.get("/api/v1/orders/", {"start_time": ms(start), "end_time": ms(end)}).json()["results"]
    html = page.get(reverse("orders"), {"start": "2026-01-10", "end": "2026-01-10"}).content.decode()
    assert ids_on(html) == [o["id"] for o in from_api] == [two_orders[0]]


def test_older_orders_links_keep_the_range(page, alice, funded, two_orders, monkeypatch):
    monkeypatch.setattr("trading.views.PAGE_SIZE", 1)
    third = place(alice, "BUY", "92.00", "0.100")["order"]["id"]
    Order.objects.filter(id=third).update(created_at=MARCH_1)
    html = page.get(reverse("orders"), {"start": "2026-02-01"}).content.decode()
    assert ids_on(html) == [third]
    older = re.search(r'href="(\?[^"]*before=\d+[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "start=2026-02-01" in older
    assert ids_on(page.get(reverse("orders") + older).content.decode()) == [two_orders[1]]  # not January's


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"start": "2026-13-01"}, "From (UTC)", BAD_DATE),
        ({"end": "yesterday"}, "To (UTC)", BAD_DATE),
        ({"start": "1969-12-31"}, "From (UTC)", OUT_OF_RANGE),
        ({"start": "2026-03-02", "end": "2026-03-01"}, "From (UTC)", START_AFTER_END),
        ({"end": "99999-01-01T00:00"}, "To (UTC)", BAD_DATE),
    ],
)
@pytest.mark.parametrize("name", ["orders", "fills", "ledger"])
def test_a_bad_date_is_a_form_error_in_words(page, funded, name, query, field, words):
    response = page.get(reverse(name), query)
    assert response.status_code == 400
    assert f'<p class="field-error" role="alert">{field}: {words}</p>' in unescape(response.content.decode())


@pytest.mark.parametrize("name", ["fills-csv", "ledger-csv"])
def test_a_csv_export_refuses_a_bad_range(page, funded, name):
    response = page.get(reverse(name), {"start": "2026-03-02", "end": "2026-03-01"})
    assert response.status_code == 400


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_fills_and_their_csv_take_the_range(page, alice, bob, funded):
    place(bob, "SELL", "100.00", "0.200")
    place(alice, "BUY", "100.00", "0.100")
    place(alice, "BUY", "100.00", "0.100")
    early, late = Trade.objects.order_by("id")
    Trade.objects.filter(id=early.id).update(created_at=JAN_10_NOON)
    Trade.objects.filter(id=late.id).update(created_at=MARCH_1)
    html = page.get(reverse("fills"), {"start": "2026-02-01"}).content.decode()
    assert re.findall(r'<td class="mono">(\d+)</td><td class="mono">#', html) == [str(late.id)]
    rows = csv_rows(page.get(reverse("fills-csv"), {"end": "2026-01-31"}))
    assert [int(r[0]) for r in rows[1:]] == [early.id]


def test_the_ledger_and_its_csv_take_the_range(page, alice, funded):
    entries = list(LedgerEntry.objects.filter(user=alice).order_by("id"))
    assert len(entries) >= 2
    LedgerEntry.objects.filter(id=entries[0].id).update(created_at=JAN_10_NOON)
    LedgerEntry.objects.filter(id__in=[e.id for e in entries[1:]]).update(created_at=MARCH_1)
    html = page.get(reverse("ledger"), {"end": "2026-01-10T12:00"}).content.decode()
    assert html.count('<tr><td class="mono muted">') == 1 and "2026-01-10 12:00:30" in html
    rows = csv_rows(page.get(reverse("ledger-csv"), {"start": "2026-03-01", "end": "2026-03-01"}))
    assert [int(r[0]) for r in rows[1:]] == [e.id for e in reversed(entries[1:])]


def test_the_filter_shows_what_was_typed(page, funded):
    html = page.get(reverse("orders"), {"start": "2026-01-10", "end": "2026-01-10"}).content.decode()
    assert 'type="datetime-local" name="start" value="2026-01-10T00:00"' in html
    assert 'type="datetime-local" name="end" value="2026-01-10T23:59"' in html
