"""The trading page's header shows the book ticker (best bid and ask, their sizes, the spread),
rendered from the snapshot REST `book-ticker/` answers, at the same seq."""

import re

import pytest
from django.urls import reverse

from tests.engine.helpers import place

pytestmark = pytest.mark.django_db


def header(html):
    box = re.search(r'<div class="stat book-ticker" id="book-ticker" data-seq="(\d+)".*?</div>\s*<div class="stat">'
                    r'.*?</div>', html, re.S).group(0)  # fmt: skip
    fields = dict(re.findall(r'data-bt="(\w+)"[^>]*>(.*?)</span>', box, re.S))
    return int(re.search(r'data-seq="(\d+)"', box).group(1)), fields


def test_the_header_shows_the_book_ticker_as_rest_does(page, client, alice, bob, funded):
    place(alice, "BUY", "99.50", "0.300")
    place(alice, "BUY", "99.00", "1.000")
    place(bob, "SELL", "100.25", "0.200")
    seq, shown = header(page.get(reverse("trade", args=["BTC-USD"])).content.decode())
    rest = client.get("/api/v1/markets/BTC-USD/book-ticker/").json()
    assert seq == rest["seq"]
    assert (shown["best_bid"], shown["best_bid_qty"], shown["best_ask"], shown["best_ask_qty"]) == (
        "99.50", "0.300", "100.25", "0.200")  # fmt: skip
    assert (rest["best_bid"], rest["best_ask"]) == ("99.5", "100.25")
    assert shown["spread"].startswith("0.75 <span") and "0.75%" in shown["spread"]  # 0.75 of the mid 99.875


def test_an_empty_side_shows_a_dash(page, alice, funded):
    place(alice, "BUY", "99.50", "0.300")
    _, shown = header(page.get(reverse("trade", args=["BTC-USD"])).content.decode())
    assert (shown["best_bid"], shown["best_ask"], shown["best_ask_qty"], shown["spread"]) == (
        "99.50",
        "—",
        "",
        "—",
    )
