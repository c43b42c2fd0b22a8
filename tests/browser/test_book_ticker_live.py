"""The trading page's book ticker (market header) in a real browser: rendered as REST `book-ticker/`
answers, then live from `book:<SYMBOL>`: another trader's ask joining the best level and a market
buy taking part of it change the best ask's size on the page without a reload. At a phone's width
it fits without sideways scrolling. Screenshots: test-output/<size>-book-ticker.png."""

import json
import urllib.request
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    PHONE,
    TIMEOUT,
    VIEWPORTS,
    Watch,
    api_cancel_all,
    api_order,
    api_token,
    overflow,
)
from tests.browser.test_pages_at_two_sizes import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]
SYMBOL = "BTC-USD"
PRICE_DP, QTY_DP = 2, 5  # the demo BTC-USD: tick 0.01, lot 0.00001


def book_ticker(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/api/v1/markets/{SYMBOL}/book-ticker/", timeout=10) as response:
        return dict(json.loads(response.read()))


def shown(value: str | Decimal, dp: int) -> str:
    return f"{Decimal(value):.{dp}f}"


def field(page: Page, name: str):
    return page.locator(f"#book-ticker [data-bt={name}]")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_book_ticker_follows_the_top_of_the_book_live(quantx_server, browser, output_dir, size):
    base = quantx_server.url
    bob, alice = api_token(base, "bob"), api_token(base, "alice")
    api_cancel_all(base, bob, SYMBOL)  # nothing of bob's from earlier tests rests at the top
    context = browser.new_context(**(PHONE if size == "phone" else {"viewport": VIEWPORTS["desktop"]}))
    page = context.new_page()
    watch = Watch(page)
    log_in(page, base)
    page.goto(f"{base}/markets/{SYMBOL}/")
    expect(page.locator("#book-sync")).to_have_attribute("data-checksum-ok", "true", timeout=TIMEOUT)
    before = book_ticker(base)
    if before["best_bid"] is not None:
        expect(field(page, "best_bid")).to_have_text(shown(before["best_bid"], PRICE_DP))
    page.evaluate("window.__sameDocument = true")

    # bob's ask joins the best ask (or, on an empty side, becomes it): the size there grows
    ask = Decimal(before["best_ask"]) if before["best_ask"] else Decimal(before["best_bid"] or "60000") + 1
    resting = Decimal(before["best_ask_qty"] or 0)
    api_order(base, bob, symbol=SYMBOL, side="SELL", type="LIMIT", price=f"{ask:f}", qty="0.004")
    expect(field(page, "best_ask")).to_have_text(shown(ask, PRICE_DP), timeout=TIMEOUT)
    expect(field(page, "best_ask_qty")).to_have_text(
        shown(resting + Decimal("0.004"), QTY_DP), timeout=TIMEOUT
    )

    # a market buy takes part of that level: the size shrinks, from the channel again
    api_order(base, alice, symbol=SYMBOL, side="BUY", type="MARKET", qty="0.001")
    expect(field(page, "best_ask_qty")).to_have_text(
        shown(resting + Decimal("0.003"), QTY_DP), timeout=TIMEOUT
    )
    after = book_ticker(base)
    assert (after["best_ask"], Decimal(after["best_ask_qty"])) == (
        f"{ask.normalize():f}",
        resting + Decimal("0.003"),
    )
    expect(page.locator("#book-ticker")).to_have_attribute("data-seq", str(after["seq"]), timeout=TIMEOUT)
    if after["best_bid"] is not None:
        spread = Decimal(after["best_ask"]) - Decimal(after["best_bid"])
        expect(field(page, "spread")).to_contain_text(shown(spread, PRICE_DP))
    assert page.evaluate("window.__sameDocument") is True  # no reload
    for width in (390, 360) if size == "phone" else ():
        page.set_viewport_size({"width": width, "height": 844})  # a phone turned, a window narrowed
        page.wait_for_timeout(300)  # the chart's autoSize redraws it
        assert overflow(page) <= 0, f"{width} px: the trading page scrolls sideways"
    page.reload()  # rendered by the server: the same state
    expect(page.locator("#book-sync")).to_have_attribute("data-checksum-ok", "true", timeout=TIMEOUT)
    expect(field(page, "best_ask_qty")).to_have_text(shown(resting + Decimal("0.003"), QTY_DP))
    assert overflow(page) <= 0
    page.screenshot(path=str(output_dir / f"{size}-book-ticker.png"))
    api_cancel_all(base, bob, SYMBOL)
    context.close()
    assert watch.problems == []
