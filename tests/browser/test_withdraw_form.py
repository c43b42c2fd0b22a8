"""The Withdraw form on the balances page, at a desktop and a phone size: Max fills in the free
balance, a withdrawal is held at once (the balances table shows it locked, live), listed as pending
with a Cancel button that gives it back. Screenshot: test-output/<size>-withdraw.png."""

import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, PHONE, VIEWPORTS, Watch, overflow

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_withdraw_with_max_then_cancel(quantx_server, browser, output_dir, size):
    base = quantx_server.url
    context = browser.new_context(**(PHONE if size == "phone" else {"viewport": VIEWPORTS["desktop"]}))
    page = context.new_page()
    watch = Watch(page)
    name = f"wd{size[0]}{secrets.token_hex(3)}"
    page.goto(f"{base}/accounts/signup/")
    page.locator("#id_username").fill(name)
    page.locator("#id_email").fill(f"{name}@example.test")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.locator("[data-claim=BTC]").click()
    expect(page.locator(".messages")).to_contain_text("Credited 1 BTC")
    expect(page.locator("[data-live-status]")).to_have_text("live")

    page.locator("#withdraw-asset").select_option("BTC")
    page.locator("#withdraw-max").click()
    expect(page.locator("#withdraw-amount")).to_have_value("1")
    page.locator("#withdraw-amount").fill("0.25")
    page.locator("#withdraw-address").fill("bc1qbrowsertest")
    page.locator("#withdraw-submit").click()
    expect(page.locator(".messages")).to_contain_text("Requested: withdrawal of 0.25 BTC to bc1qbrowsertest")
    btc = page.locator("#balances tr[data-asset=BTC]")
    expect(btc.locator("[data-field=free]")).to_have_text("0.75")
    expect(btc.locator("[data-field=locked]")).to_have_text("0.25")
    row = page.locator("#withdrawals tbody tr").first
    expect(row.locator("[data-field=status]")).to_contain_text("Pending")
    page.locator("#withdraw-max").click()
    expect(page.locator("#withdraw-amount")).to_have_value("0.75")  # only free funds
    assert overflow(page) <= 0, f"{size}: the page is {overflow(page)} px wider than the screen"
    page.screenshot(path=str(output_dir / f"{size}-withdraw.png"), full_page=True)

    row.get_by_role("button", name="Cancel").click()
    expect(page.locator(".messages")).to_contain_text("canceled; its amount is free again")
    expect(page.locator("#withdrawals tbody tr").first.locator("[data-field=status]")).to_contain_text(
        "Canceled"
    )
    expect(page.locator("#balances tr[data-asset=BTC] [data-field=locked]")).to_have_text("0.00")
    assert not watch.problems, watch.problems
    context.close()
