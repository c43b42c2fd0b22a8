"""The order form's estimate in a real browser (trade-estimate.js): typing an order shows what it
would do, from the engine, the same as POST /api/v1/orders/test/ answers; an order the funds do not
cover shows why in place; at a phone's width too, without sideways scrolling, errors or failed
requests. Nothing is placed. Screenshot: test-output/order-estimate-phone.png."""

import json
import re
import urllib.request
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, TIMEOUT, VIEWPORTS, Watch, api_order, api_token, overflow
from tests.browser.test_pages_at_two_sizes import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]
ASK = "90000.00"  # bob's ask: liquidity for alice's estimate whatever else the book holds


def api_test_order(base: str, token: str, **order: str) -> dict:
    request = urllib.request.Request(
        f"{base}/api/v1/orders/test/", data=json.dumps(order).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def my_orders(base: str, token: str) -> list[int]:
    request = urllib.request.Request(
        f"{base}/api/v1/orders/?limit=500", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return [o["id"] for o in json.loads(response.read())["results"]]


def type_order(page: Page, *, price: str, qty: str) -> None:
    form = page.locator("#order-form")
    form.locator("label.side-buy").click()
    form.get_by_label("Order type").select_option("LIMIT")
    form.locator("#id_price").press_sequentially(
        price, delay=20
    )  # as a trader types: one estimate at the end
    form.locator("#id_qty").fill("")
    form.locator("#id_qty").press_sequentially(qty, delay=20)


def open_trade(page: Page, base: str) -> None:
    log_in(page, base)
    page.goto(f"{base}/markets/BTC-USD/")
    expect(page.locator("#book-sync")).to_have_attribute("data-checksum-ok", "true", timeout=TIMEOUT)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_typing_an_order_shows_its_estimate(quantx_server, browser, output_dir, size):
    base = quantx_server.url
    bob = api_token(base, "bob")
    api_order(base, bob, symbol="BTC-USD", side="SELL", type="LIMIT", qty="0.002", price=ASK)
    context = browser.new_context(**(PHONE if size == "phone" else {"viewport": VIEWPORTS["desktop"]}))
    page = context.new_page()
    watch = Watch(page)
    alice = api_token(base, "alice")
    before = my_orders(base, alice)
    open_trade(page, base)
    estimate = page.locator("#order-estimate")
    expect(estimate).to_be_hidden()

    type_order(page, price=ASK, qty="0.001")
    expect(estimate).to_contain_text("Would fill 0.001 BTC at avg", timeout=TIMEOUT)
    expected = api_test_order(base, alice, symbol="BTC-USD", side="BUY", type="LIMIT",
                              qty="0.001", price=ASK)  # fmt: skip
    avg, fee, hold = (f"{Decimal(expected[k]).normalize():f}" for k in ("avg_price", "fee", "hold"))
    expect(estimate).to_have_text(f"Would fill 0.001 BTC at avg {avg} USD, fee {fee} BTC · holds {hold} USD.")
    expect(estimate).not_to_have_class(re.compile("refused"))

    page.locator("#id_qty").fill("50")  # 50 BTC at 90000: far beyond alice's USD
    expect(estimate).to_have_text(re.compile(r"Not enough USD"), timeout=TIMEOUT)
    expect(estimate).to_have_class(re.compile("refused"))

    page.locator("#id_qty").fill("")
    expect(estimate).to_be_hidden(timeout=TIMEOUT)
    page.locator("#id_qty").fill("0.001")
    expect(estimate).to_contain_text("Would fill", timeout=TIMEOUT)
    assert overflow(page) == 0
    if size == "phone":
        estimate.scroll_into_view_if_needed()
        page.screenshot(path=str(output_dir / "order-estimate-phone.png"))
    context.close()
    assert watch.problems == []
    assert my_orders(base, alice) == before, "an estimate placed an order"
