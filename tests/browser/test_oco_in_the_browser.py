"""An OCO list from a phone (390 px): the trading page's OCO form places it, both legs show in open
orders, the orders page lists it with its legs and cancels it; a refusal shows the form again with
what was typed; no sideways scrolling anywhere."""

import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TIMEOUT, Watch, overflow
from tests.browser.test_trading_in_the_browser import open_market, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_an_oco_list_placed_and_canceled_on_a_phone(quantx_server, browser, output_dir):
    base = quantx_server.url
    context = browser.new_context(**PHONE)
    page = context.new_page()
    watch = Watch(
        page, expected=(r"status of 400", r"HTTP 400: POST .*/oco/$")
    )  # the refusal below, on purpose
    sign_up(page, base, f"oco{secrets.token_hex(3)}")
    open_market(page, base)
    page.locator("[data-faucet=BTC]").click()
    expect(page.locator("#faucet-notes")).to_contain_text("Credited", timeout=TIMEOUT)

    page.locator("#oco summary").click()
    form = page.locator("#oco-form")
    form.locator("label.side-sell").click()
    form.locator("#id_oco-qty").fill("0.010")
    form.locator("#id_oco-limit_price").fill("19000")  # below the stop: refused
    form.locator("#id_oco-stop_price").fill("20000")
    form.locator("#id_oco-stop_limit_price").fill("19900")
    assert overflow(page) <= 0
    form.locator("#oco-submit").click()
    expect(page.locator("#oco-error")).to_contain_text("take-profit price must be above", timeout=TIMEOUT)
    expect(page.locator("#oco")).to_have_attribute("open", "")
    expect(form.locator("#id_oco-qty")).to_have_value("0.010")
    expect(form.locator("#id_oco-stop_limit_price")).to_have_value("19900")
    assert overflow(page) <= 0
    page.locator("#oco").screenshot(path=str(output_dir / "phone-oco-refused.png"))
    form.locator("#id_oco-limit_price").fill("99000")
    form.locator("#oco-submit").click()
    expect(page.locator("#order-notes")).to_contain_text("OCO list #", timeout=TIMEOUT)
    expect(page.locator("#open-orders tbody tr[data-order-id]")).to_have_count(2, timeout=TIMEOUT)

    page.goto(f"{base}/orders/")
    row = page.locator("#order-lists tr[data-order-list-id]").first
    expect(row).to_contain_text("Executing")
    expect(row.locator(".legs li")).to_have_count(2)
    assert overflow(page) <= 0
    page.screenshot(path=str(output_dir / "phone-order-lists.png"), full_page=True)
    row.get_by_role("button", name="Cancel OCO list").click()
    expect(page.locator("#orders-notes")).to_contain_text("canceled.", timeout=TIMEOUT)
    expect(page.locator("#order-lists tr[data-order-list-id]").first).to_contain_text("All Done")
    assert overflow(page) <= 0
    assert watch.problems == []
    context.close()
