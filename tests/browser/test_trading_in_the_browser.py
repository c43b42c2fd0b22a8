"""Two traders in two browsers against a live server: sign up, faucet, a limit order in the book and
in open orders, the other trader crossing it, and the trade, the fill toast, the fill and the new
balance arriving live (no reload); then a refused order, a reduce and a cancel. A screenshot of the
trading page goes to test-output/trading-page.png. The new-trader flows (first-run steps, percentage
buttons, cancel-all, a confirmed market order) are in test_new_trader.py."""

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, TIMEOUT, Watch

pytestmark = [pytest.mark.browser, pytest.mark.integration]
REFUSALS = (r"status of 400", r"HTTP 400: POST .*/order/$")  # the refused orders below, on purpose


def sign_up(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    page.locator("#id_username").fill(name)
    page.locator("#id_email").fill(f"{name}@example.test")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".who")).to_have_text(name)


def open_market(page: Page, base: str, symbol: str = "BTC-USD") -> None:
    page.goto(f"{base}/markets/{symbol}/")
    expect(page.locator(".ticker-bar [data-live-status]")).to_have_text("live", timeout=TIMEOUT)
    expect(page.locator("#book-sync")).to_have_attribute("data-checksum-ok", "true", timeout=TIMEOUT)


def faucet(page: Page, asset: str, expected_free: str) -> None:
    page.locator(f"[data-faucet={asset}]").click()
    expect(page.locator("#faucet-notes")).to_contain_text("Credited", timeout=TIMEOUT)
    expect(balance(page, asset, "free")).to_have_text(expected_free, timeout=TIMEOUT)


def balance(page: Page, asset: str, field: str):
    return page.locator(f"#balances tr[data-asset={asset}] [data-field={field}]")


def order(page: Page, *, side: str, price: str, qty: str, type_: str = "LIMIT") -> None:
    form = page.locator("#order-form")
    form.locator(f"label.side-{side.lower()}").click()
    form.get_by_label("Order type").select_option(type_)
    if type_ != "MARKET":
        form.locator("#id_price").fill(price)
    form.locator("#id_qty").fill(qty)
    form.locator("#order-submit").click()


def book_prices(page: Page, side: str) -> list[str]:
    return page.locator(f"#{side} tr[data-price] td:first-child").all_inner_texts()


def test_two_traders_trade_live_in_the_browser(quantx_server, browser, output_dir):
    base = quantx_server.url
    ann_ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    ben_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ann, ben = ann_ctx.new_page(), ben_ctx.new_page()
    watches = [Watch(ann, expected=REFUSALS), Watch(ben)]
    suffix = secrets.token_hex(3)

    # Ann signs up, funds herself through the faucet and bids for 0.010 BTC at 30000.
    sign_up(ann, base, f"ann{suffix}")
    open_market(ann, base)
    faucet(ann, "USD", "10000.00")
    ann.evaluate("window.__sameDocument = true")
    order(ann, side="BUY", price="30000.00", qty="0.010")
    expect(ann.locator("#order-notes")).to_contain_text("placed: 0.01 BTC at 30000 USD", timeout=TIMEOUT)
    expect(ann.locator("#faucet-notes li")).to_have_count(0)  # the latest action's result replaced it
    mine = ann.locator("#open-orders tbody tr[data-order-id]")
    expect(mine).to_have_count(1, timeout=TIMEOUT)
    expect(mine.locator("[data-field=price]")).to_have_text("30000.00")
    expect(ann.locator("#bids tr[data-price]").first.locator("td").first).to_have_text(
        "30000.00", timeout=TIMEOUT
    )
    expect(ann.locator("#bids tr.mine")).to_have_count(1)
    expect(balance(ann, "USD", "locked")).to_have_text("300.00", timeout=TIMEOUT)

    # The markets overview, open in another tab, will show the trade's price without a reload.
    overview = ann_ctx.new_page()
    overview.goto(base + "/")
    expect(overview.locator("[data-live-status]")).to_have_text("live", timeout=TIMEOUT)

    # The depth chart shows Ann's bid, and is redrawn live when the book changes.
    depth = ann.locator("#depth-chart")
    expect(depth).to_be_visible()
    expect(depth).to_have_attribute("data-bids", "1", timeout=TIMEOUT)
    draws = int(depth.get_attribute("data-draws") or 0)

    # Ben signs up, takes 1 BTC from the faucet and sells 0.004 BTC into Ann's bid.
    sign_up(ben, base, f"ben{suffix}")
    open_market(ben, base)
    expect(ben.locator("#bids tr[data-price]").first.locator("td").first).to_have_text(
        "30000.00", timeout=TIMEOUT
    )
    faucet(ben, "BTC", "1.00")
    order(ben, side="SELL", price="30000.00", qty="0.004")
    expect(ben.locator("#order-notes")).to_contain_text(
        "filled: 0.004 BTC at an average 30000 USD", timeout=TIMEOUT
    )

    # Ann sees it all arrive live: a toast, the trade, her fill, the partly filled order, her balances.
    expect(ann.locator(".toast").filter(has_text="Order partly filled")).to_contain_text(
        "0.00400 BTC at 30000.00 USD", timeout=TIMEOUT
    )
    expect(ann.locator("#trades tbody tr[data-trade-id]").first.locator("td").first).to_have_text(
        "30000.00", timeout=TIMEOUT
    )
    fill = ann.locator("#fills tbody tr[data-trade-id]")
    expect(fill).to_have_count(1, timeout=TIMEOUT)
    expect(fill.locator("td").nth(3)).to_have_text("0.00400")
    expect(fill.locator("td").nth(5)).to_have_text("Maker")
    expect(mine.locator("[data-field=remaining]")).to_have_text("0.00600", timeout=TIMEOUT)
    expect(mine.locator("[data-field=status]")).to_have_text("Partially filled")
    expect(balance(ann, "BTC", "free")).to_have_text(
        "0.003996", timeout=TIMEOUT
    )  # 0.004 less the 0.1% maker fee
    expect(balance(ann, "USD", "locked")).to_have_text("180.00", timeout=TIMEOUT)
    expect(ann.locator("#bids tr[data-price]").first.locator("td").nth(1)).to_have_text(
        "0.00600", timeout=TIMEOUT
    )
    expect(ann.locator("#ticker [data-field=last]")).to_have_text("30000.00", timeout=TIMEOUT)
    expect(overview.locator("tr[data-symbol=BTC-USD] [data-field=last]")).to_have_text(
        "30000.00", timeout=TIMEOUT
    )
    expect(ann.locator("#book-sync")).to_have_attribute("data-checksum-ok", "true")
    ann.bring_to_front()  # a browser paints canvases of the tab in front
    ann.wait_for_function(
        f"Number(document.getElementById('depth-chart').dataset.draws) > {draws}", timeout=TIMEOUT
    )
    assert ann.evaluate("window.__sameDocument") is True  # no reload happened
    ann.wait_for_timeout(600)  # let the chart draw the candle
    ann.screenshot(path=str(output_dir / "trading-page.png"), full_page=True)

    # A refused order says why, next to the form, and keeps what was typed.
    order(ann, side="BUY", price="30000.00", qty="100")
    expect(ann.locator("#order-error")).to_contain_text(
        "Not enough USD available for this order.", timeout=TIMEOUT
    )
    expect(ann.locator("#id_qty")).to_have_value("100")
    order(ann, side="BUY", price="30000.005", qty="0.001")
    expect(ann.locator(".field[data-for=price] .field-error")).to_have_text(
        "Price must be a multiple of 0.01 USD (the tick size).", timeout=TIMEOUT
    )

    # Grouping the book by 10 USD merges levels (Ann's bid is alone at 30000).
    ann.locator("#book-group").select_option(label="10")
    expect(ann.locator("#bids tr[data-price]").first.locator("td").first).to_have_text("30000.00")
    ann.locator("#book-group").select_option(label="0.01")

    # Ann reduces her order, then cancels the rest: gone from her orders and the book, funds released.
    # The next action's result replaces the refusal: no stale error stays on the page.
    mine.locator("details.amend summary").click()
    mine.locator("details.amend input[name=qty]").fill("0.005")
    mine.get_by_role("button", name="Reduce").click()
    expect(ann.locator("#orders-notes")).to_contain_text("reduced: 0.005 still open", timeout=TIMEOUT)
    expect(ann.locator(".field[data-for=price] .field-error")).to_have_count(0)
    expect(mine.locator("[data-field=remaining]")).to_have_text("0.00500", timeout=TIMEOUT)
    expect(balance(ann, "USD", "locked")).to_have_text("150.00", timeout=TIMEOUT)
    mine.get_by_role("button", name=re.compile("Cancel order")).click()
    expect(ann.locator("#orders-notes")).to_contain_text("canceled", timeout=TIMEOUT)
    expect(mine).to_have_count(0, timeout=TIMEOUT)
    expect(ann.locator("#bids tr[data-price]")).to_have_count(0, timeout=TIMEOUT)
    expect(balance(ann, "USD", "locked")).to_have_text("0.00", timeout=TIMEOUT)
    expect(ann.locator(".toast").filter(has_text="Order canceled")).to_be_visible(timeout=TIMEOUT)
    ann.locator("#tab-history-btn").click()
    expect(ann.locator("#order-history tbody tr[data-order-id]").first).to_contain_text("Canceled")

    assert [w.problems for w in watches] == [[], []]
    ann_ctx.close()
    ben_ctx.close()


def test_orders_work_without_javascript(quantx_server, browser):
    """Plain POST forms: place, see it in open orders after the redirect, a refusal in words, cancel."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    base = quantx_server.url
    page.goto(f"{base}/accounts/login/?next=/markets/ETH-USD/")
    page.locator("#id_username").fill("alice")
    page.locator("#id_password").fill("quantx-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/markets/ETH-USD/")

    form = page.locator("#order-form")
    form.locator("label.side-sell").click()
    form.locator("#id_price").fill("4000.00")
    form.locator("#id_qty").fill("0.5")
    form.locator("#order-submit").click()
    expect(page.locator("#order-notes")).to_contain_text("Sell limit order")
    row = page.locator("#open-orders tbody tr[data-order-id]")
    expect(row).to_have_count(1)
    expect(page.locator("#asks tr:not(.pad-row) td").first).to_have_text("4000.00")

    form.locator("#id_price").fill("4000.00")
    form.locator("#id_qty").fill("5000")
    form.locator("#order-submit").click()
    expect(page.locator(".field[data-for=qty] .field-error")).to_have_text("Amount can be at most 1000 ETH.")
    expect(form.locator("#id_qty")).to_have_value("5000")

    page.locator("#open-orders tbody tr[data-order-id]").get_by_role(
        "button", name=re.compile("Cancel")
    ).click()
    expect(page.locator("#orders-notes")).to_contain_text("canceled")
    expect(page.locator("#open-orders tbody tr[data-order-id]")).to_have_count(0)
    context.close()
