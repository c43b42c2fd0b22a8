"""The dead-man's switch on the orders page of a live embedded server, on a 390 px phone: arm a
countdown with the form, watch its time left count down, and see the order it canceled say why;
the page never scrolls sideways. A screenshot goes to test-output/phone-orders-deadman.png."""

import json
import secrets
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, PHONE, TIMEOUT, Watch, api_order, api_token, overflow
from tests.browser.test_trading_in_the_browser import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def faucet(base: str, token: str) -> None:
    request = urllib.request.Request(
        f"{base}/api/v1/faucet/", data=json.dumps({"asset": "USD", "amount": "1000"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10):
        pass


def test_arm_a_countdown_on_a_phone_and_see_it_cancel_my_order(quantx_server, browser, output_dir):
    base = quantx_server.url
    context = browser.new_context(**PHONE)
    page = context.new_page()
    watch = Watch(page)
    name = f"dm{secrets.token_hex(3)}"
    sign_up(page, base, name)
    token = api_token(base, name, password=PASSWORD)
    faucet(base, token)
    order = api_order(base, token, symbol="BTC-USD", side="BUY", type="LIMIT", qty="0.001", price="1000.00")

    page.goto(f"{base}/orders/")
    panel = page.locator("#deadman")
    expect(panel).to_contain_text("No timer armed.")
    panel.get_by_label("Cancel after (s)").fill("600")
    panel.get_by_label("Markets").select_option("BTC-USD")
    panel.get_by_role("button", name="Arm", exact=True).click()
    row = page.locator("#deadman-timers tr[data-kind=CANCEL_AFTER]")
    expect(row).to_contain_text("BTC-USD")
    left = row.locator("[data-deadline-ms]")
    first = int(left.inner_text().split()[0])
    page.wait_for_timeout(2100)
    assert int(left.inner_text().split()[0]) <= first - 1  # it counts down
    assert overflow(page) == 0
    page.screenshot(path=str(output_dir / "phone-orders-deadman.png"), full_page=True)

    panel.get_by_label("Cancel after (s)").fill("1")  # re-armed: a short fuse
    panel.get_by_label("Markets").select_option("BTC-USD")
    panel.get_by_role("button", name="Arm", exact=True).click()
    page.wait_for_timeout(1800)
    page.goto(f"{base}/orders/")
    mine = page.locator(f'#order-history tr[data-order-id="{order["id"]}"]')
    expect(mine).to_contain_text("dead-man's switch: its countdown ran out", timeout=TIMEOUT)
    expect(page.locator("#deadman")).to_contain_text("No timer armed.")
    assert overflow(page) == 0
    assert watch.problems == []
    context.close()
