"""A new trader's first minutes, at a desktop and a phone size: sign up, the first-run steps (claim
paper money, then trade), the percentage buttons filling the amount the balance allows, a limit
order, the fill toast when another trader (the demo user bob, over the REST API) hits it, cancel-all,
and a market order that asks for a confirmation first. Screenshots: test-output/<size>-first-run.png,
<size>-fill-toast.png, <size>-confirm.png, <size>-after-trading.png."""

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    PASSWORD,
    PHONE,
    TIMEOUT,
    VIEWPORTS,
    Watch,
    api_cancel_all,
    api_order,
    api_token,
    overflow,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]
SYMBOL = "BTC-USD"


def field(page: Page, name: str):
    return page.locator(f"#order-form [name={name}]")


def submit(page: Page) -> None:
    page.locator("#order-submit").click()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_new_trader_signs_up_funds_and_trades(quantx_server, browser, output_dir, size):
    base = quantx_server.url
    phone = size == "phone"
    context = browser.new_context(**(PHONE if phone else {"viewport": VIEWPORTS["desktop"]}))
    page = context.new_page()
    watch = Watch(page)
    bob = api_token(base, "bob")
    name = f"new{size[0]}{secrets.token_hex(3)}"

    # Sign up: the account page says what to do first, and the faucet is one click.
    page.goto(f"{base}/accounts/signup/")
    page.locator("#id_username").fill(name)
    page.locator("#id_email").fill(f"{name}@example.test")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{base}/accounts/")
    first_run = page.locator("#first-run")
    expect(first_run).to_contain_text("Claim paper money")
    page.screenshot(path=str(output_dir / f"{size}-first-run.png"), full_page=True)
    page.locator("[data-claim=USD]").click()
    expect(page.locator(".messages")).to_contain_text("Credited 10000 USD")
    expect(first_run).to_contain_text("Done.")
    page.locator("#first-order").click()
    expect(page).to_have_url(f"{base}/markets/{SYMBOL}/")
    expect(page.locator("#book-sync")).to_have_attribute("data-checksum-ok", "true", timeout=TIMEOUT)

    # On a phone the order form is one tap away, on the side tapped.
    if phone:
        page.locator("#buy-sell-bar").get_by_role("button", name="Buy BTC").click()
        expect(page.locator("#order-form")).to_be_in_viewport()
    expect(page.locator("#order-submit")).to_have_text("Buy BTC")

    # Percentage buttons: the amount 10000 USD buys at 20000, rounded down to the lot (0.00001).
    field(page, "price").fill("20000.00")
    page.locator("[data-pct='50']").click()
    expect(field(page, "qty")).to_have_value("0.25000")
    page.locator("[data-pct='100']").click()
    expect(field(page, "qty")).to_have_value("0.50000")
    field(page, "price").fill("30000.00")
    page.locator("[data-pct='25']").click()
    expect(field(page, "qty")).to_have_value("0.08333")  # 2500 / 30000 = 0.083333…, floored

    # A limit bid; bob sells into it over the API; a toast says it filled.
    field(page, "price").fill("20000.00")
    field(page, "qty").fill("0.001")
    expect(page.locator("[data-preview=cost]")).to_have_text("20.00 USD")
    submit(page)
    expect(page.locator("#order-notes")).to_contain_text("placed: 0.001 BTC at 20000 USD", timeout=TIMEOUT)
    expect(page.locator("#open-count")).to_have_text("1", timeout=TIMEOUT)
    api_order(base, bob, symbol=SYMBOL, side="SELL", type="LIMIT", price="20000.00", qty="0.001", tif="IOC")
    toast = page.locator(".toast").filter(has_text="Order filled")
    expect(toast).to_contain_text("0.00100 BTC at 20000.00 USD", timeout=TIMEOUT)
    page.wait_for_timeout(300)  # the toast's entrance
    page.screenshot(path=str(output_dir / f"{size}-fill-toast.png"))
    expect(page.locator("#open-count")).to_have_text("0", timeout=TIMEOUT)

    # Two more bids, then cancel all of them at once.
    for count, price in enumerate(("19000", "19500"), start=1):
        field(page, "price").fill(price)
        field(page, "qty").fill("0.001")
        submit(page)
        expect(page.locator("#order-notes")).to_contain_text(
            f"placed: 0.001 BTC at {price} USD", timeout=TIMEOUT
        )
        expect(page.locator("#open-count")).to_have_text(str(count), timeout=TIMEOUT)
    page.get_by_role("button", name="Cancel all").click()
    expect(page.locator("#orders-notes")).to_contain_text("2 open orders canceled.", timeout=TIMEOUT)
    expect(page.locator("#open-orders tbody tr[data-order-id]")).to_have_count(0, timeout=TIMEOUT)
    expect(page.locator("#bids tr[data-price]")).to_have_count(0, timeout=TIMEOUT)

    # A market buy asks first; "Back" sends nothing, "Confirm" fills it against bob's ask.
    api_order(base, bob, symbol=SYMBOL, side="SELL", type="LIMIT", price="25000.00", qty="0.010", tif="GTC")
    expect(page.locator("#asks tr[data-price]")).to_have_count(1, timeout=TIMEOUT)
    # The book by keyboard: Enter on a level copies its price and the total amount up to it.
    if phone:
        page.get_by_role("tab", name="Book").click()
    page.locator("#asks tr[data-price]").first.focus()
    page.keyboard.press("Enter")
    expect(field(page, "price")).to_have_value("25000.00")
    expect(field(page, "qty")).to_have_value("0.01000")
    expect(page.locator("#order-submit")).to_have_text("Buy BTC")
    page.locator("#order-form").get_by_label("Order type").select_option("MARKET")
    field(page, "qty").fill("0.002")
    submit(page)
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("≈ 25000.00 USD")
    page.screenshot(path=str(output_dir / f"{size}-confirm.png"))
    dialog.get_by_role("button", name="Back").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#fills tbody tr[data-trade-id]")).to_have_count(1)
    submit(page)
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.locator("#order-notes")).to_contain_text("filled", timeout=TIMEOUT)
    expect(page.locator("#fills tbody tr[data-trade-id]")).to_have_count(2, timeout=TIMEOUT)
    expect(page.locator(".toast").filter(has_text="Order filled").last).to_contain_text(
        "25000.00", timeout=TIMEOUT
    )

    # An order on another market (placed over the API) arrives live but stays out of the way until
    # "Hide other pairs" is unticked; then cancel-all covers every market.
    mine = api_token(base, name, PASSWORD)
    api_order(
        base, mine, symbol="ETH-USD", side="BUY", type="LIMIT", price="1000.00", qty="0.0100", tif="GTC"
    )
    other = page.locator("#open-orders tr[data-symbol=ETH-USD]")
    expect(other).to_be_attached(timeout=TIMEOUT)
    expect(other).to_be_hidden()
    expect(page.locator("#open-count")).to_have_text("0")
    page.get_by_label("Hide other pairs").uncheck()
    expect(other).to_be_visible()
    expect(page.locator("#open-count")).to_have_text("1")
    page.get_by_role("button", name="Cancel all").click()
    expect(page.locator("#orders-notes")).to_contain_text("1 open order canceled.", timeout=TIMEOUT)
    expect(other).to_have_count(0, timeout=TIMEOUT)

    # Funds and the account value after trading, in the bottom tabs.
    page.locator("#tab-funds-btn").click()
    expect(page.locator("#funds tr[data-asset=BTC] [data-field=free]")).to_have_text("0.002995")  # fees taken
    # 9930 USD + 0.002995 BTC at the last price, 25000: the value follows the live balances and price.
    expect(page.locator("[data-field=account-value]")).to_have_text(re.compile(r"^10004\.8[78] USD$"))
    # PnL, fees included, refreshed after the fills: unrealized (25000 - 23333.33) x 0.003 = 5.00,
    # less the fees 0.000001 BTC x 20000 and 0.000004 BTC x 25000 = 0.12.
    expect(page.locator("[data-field=account-pnl]")).to_have_text("+4.88 USD", timeout=TIMEOUT)
    assert overflow(page) <= 0
    page.screenshot(path=str(output_dir / f"{size}-after-trading.png"), full_page=True)
    assert watch.problems == []
    context.close()
    # Leave the book as found: bob's rest of the ask goes (other tests price BTC-USD on their own).
    api_cancel_all(base, bob, SYMBOL)
