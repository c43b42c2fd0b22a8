"""Every trader page at a desktop and a phone size, in a market with real activity (the demo
simulator trades ETH-USD for a few seconds first): no sideways scrolling, no script or console
error, no failed request. A screenshot of each goes to test-output/<size>-<page>.png."""

import os
import signal
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BASE_DIR, DEMO_PASSWORD, PHONE, TIMEOUT, VIEWPORTS, Watch, overflow

pytestmark = [pytest.mark.browser, pytest.mark.integration]
ACTIVITY_SECONDS = os.environ.get("QX_BROWSER_ACTIVITY_SECONDS", "8")

PAGES = {  # name: path, for a logged-in trader
    "markets": "/",
    "trade": "/markets/ETH-USD/",
    "balances": "/accounts/",
    "orders": "/orders/",
    "fills": "/fills/",
    "positions": "/positions/",
    "ledger": "/accounts/ledger/",
    "api-keys": "/accounts/api-keys/",
}
PUBLIC = {"login": "/accounts/login/", "signup": "/accounts/signup/", "trade-guest": "/markets/ETH-USD/"}


@pytest.fixture(scope="module")
def market_activity(quantx_server):
    """Trades, candles and a full book on ETH-USD from `manage.py simulate` (its quotes are kept)."""
    command = [sys.executable, "manage.py", "simulate", "--url", quantx_server.url, "--symbols", "ETH-USD",
               "--rate", "20", "--seed", "3", "--prefix", "shots", "--duration", ACTIVITY_SECONDS,
               "--keep-orders", "--quiet"]  # fmt: skip
    process = subprocess.Popen(command, cwd=BASE_DIR, env=quantx_server.env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        output, _ = process.communicate(timeout=float(ACTIVITY_SECONDS) + 60)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, output
    return quantx_server


def log_in(page, base: str, username: str = "alice") -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".who")).to_have_text(username)


def settle(page, name: str) -> None:
    """Waits for what a trader waits for: the live badge and, on the trading page, a checked book,
    the depth chart drawn and the candles."""
    if page.locator("[data-live-status]").count():
        expect(page.locator("[data-live-status]").first).to_have_text("live", timeout=TIMEOUT)
    if name.startswith("trade"):
        expect(page.locator("#book-sync")).to_have_attribute("data-checksum-ok", "true", timeout=TIMEOUT)
        expect(page.locator("#asks tr[data-price]").first).to_be_attached(timeout=TIMEOUT)
        page.wait_for_timeout(700)  # the chart's first paint


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_fits_the_screen_without_errors(market_activity, browser, output_dir, size):
    base = market_activity.url
    options = PHONE if size == "phone" else {"viewport": VIEWPORTS["desktop"]}
    context = browser.new_context(**options)
    page = context.new_page()
    watch = Watch(page)
    wide: dict[str, int] = {}

    for name, path in PUBLIC.items():
        page.goto(base + path)
        settle(page, name)
        wide[name] = overflow(page)
        page.screenshot(path=str(output_dir / f"{size}-{name}.png"), full_page=True)

    log_in(page, base)
    for name, path in PAGES.items():
        page.goto(base + path)
        settle(page, name)
        wide[name] = overflow(page)
        page.screenshot(path=str(output_dir / f"{size}-{name}.png"), full_page=True)

    if size == "phone":
        # The narrowest phones in use (360 px) and the widest (430 px) fit as well.
        for width in (360, 430):
            page.set_viewport_size({"width": width, "height": 800})
            for name, path in PAGES.items():
                page.goto(base + path)
                wide[f"{name}@{width}"] = overflow(page)
        page.set_viewport_size(VIEWPORTS["phone"])
        # The nav folds into a menu; every view of the trading page is one tap away.
        page.goto(base + "/")
        page.get_by_role("button", name="Menu").click()
        expect(page.get_by_role("link", name="Orders")).to_be_visible()
        expect(page.get_by_role("button", name="Log out")).to_be_in_viewport()
        page.screenshot(path=str(output_dir / "phone-menu.png"))
        page.goto(base + "/markets/ETH-USD/")
        settle(page, "trade")
        expect(page.locator("#buy-sell-bar")).to_be_in_viewport()
        for view in ("depth", "book", "trades"):
            page.get_by_role("tab", name=view.capitalize()).click()
            wide[f"trade-{view}"] = overflow(page)
            page.screenshot(path=str(output_dir / f"phone-trade-{view}.png"))
        expect(page.locator("#depth-chart")).to_be_hidden()
        page.get_by_role("tab", name="Depth").click()
        expect(page.locator("#depth-chart")).to_be_visible()
        assert int(page.locator("#depth-chart").get_attribute("data-bids") or 0) > 0

    # Markets: search, sort by a column, star a market and show only favourites.
    page.goto(base + "/")
    rows = page.locator("#markets tbody tr[data-symbol]:visible")
    page.get_by_placeholder("Search").fill("eth")
    expect(rows).to_have_count(2)
    page.get_by_placeholder("Search").fill("")
    page.locator("th[data-sort=symbol]").click()
    expect(rows.first).to_have_attribute("data-symbol", "BTC-USD")
    page.locator("th[data-sort=symbol]").click()
    expect(rows.first).to_have_attribute("data-symbol", "ETH-USD")
    star = page.get_by_role("button", name="Favourite ETH-BTC")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="★ Favourites").click()
    expect(rows).to_have_count(1)
    page.reload()  # stored for the user: starred markets come first
    expect(page.locator("#markets tbody tr[data-symbol]").first).to_have_attribute("data-symbol", "ETH-BTC")
    page.get_by_role("button", name="Favourite ETH-BTC").click()
    expect(page.get_by_role("button", name="Favourite ETH-BTC")).to_have_attribute("aria-pressed", "false")

    assert {name: px for name, px in wide.items() if px > 0} == {}
    assert watch.problems == []
    context.close()
