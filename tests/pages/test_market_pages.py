"""The markets overview and the trading page, rendered on the server from the same selectors as
the REST market data (the page's script then keeps them live)."""

import json
import re

import pytest
from django.urls import reverse

from tests.engine.helpers import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def traded(alice, bob, funded, engine):
    """A trade at 101 and a book: bids 100 (0.5), 99 (0.25); asks 102 (0.3)."""
    place(alice, "SELL", "101.00", "0.100")
    place(bob, "BUY", "101.00", "0.100")
    place(alice, "BUY", "100.00", "0.500")
    place(alice, "BUY", "99.00", "0.250")
    place(bob, "SELL", "102.00", "0.300")


def test_the_markets_page_lists_every_market_with_its_last_price(client, traded):
    html = client.get(reverse("home")).content.decode()
    row = re.search(r'<tr data-symbol="BTC-USD".*?</tr>', html, re.S).group(0)
    assert re.search(r'data-field="last"[^>]*>101.00<', row)
    assert "0.100" in row  # 24 h volume in BTC
    assert "100.00" in row and "102.00" in row  # best bid / ask
    assert reverse("trade", args=["BTC-USD"]) in row


def test_the_markets_page_says_what_to_do_when_there_are_no_markets(client, db):
    assert "seed_demo" in client.get(reverse("home")).content.decode()


def test_the_trading_page_shows_the_book_with_cumulative_sizes(client, traded):
    html = client.get(reverse("trade", args=["BTC-USD"])).content.decode()
    bids = re.search(r'<tbody id="bids".*?</tbody>', html, re.S).group(0)
    cells = re.findall(r'<td class="num mono[^"]*">([^<]+)</td>', bids)
    assert cells[:6] == ["100.00", "0.500", "0.500", "99.00", "0.250", "0.750"]
    asks = re.search(r'<tbody id="asks".*?</tbody>', html, re.S).group(0)
    assert re.findall(r'<td class="num mono[^"]*">([^<]+)</td>', asks) == ["102.00", "0.300", "0.300"]


def test_the_trading_page_shows_recent_trades_and_the_ticker(client, traded):
    html = client.get(reverse("trade", args=["BTC-USD"])).content.decode()
    trades = re.search(r'<table class="grid compact" id="trades">.*?</table>', html, re.S).group(0)
    assert "101.00" in trades and "0.100" in trades
    assert 'data-field="last">101.00<' in html


def test_the_page_tells_its_script_the_market_and_the_stream(client, btc_usd):
    html = client.get(reverse("trade", args=["BTC-USD"])).content.decode()
    config = json.loads(
        re.search(r'<script id="market-config" type="application/json">(.*?)</script>', html).group(1)
    )
    assert config["symbol"] == "BTC-USD" and config["tick"] == "0.01" and config["priceDp"] == 2
    assert config["authenticated"] is False
    assert "lightweight-charts.standalone.production.js" in html
    assert "TradingView" in html  # attribution


def test_an_anonymous_visitor_is_asked_to_log_in_to_trade(client, btc_usd):
    html = client.get(reverse("trade", args=["BTC-USD"])).content.decode()
    assert "To trade," in html and 'id="order-form"' not in html


def test_a_trader_sees_the_order_form_balances_and_faucet(page, funded, settings):
    settings.FAUCET_ENABLED = True
    html = page.get(reverse("trade", args=["BTC-USD"])).content.decode()
    assert 'id="order-form"' in html
    assert re.search(r'data-available="USD">10000.00<', html)
    assert 'data-faucet="USD"' in html


def test_an_unknown_market_is_404(client, db):
    assert client.get(reverse("trade", args=["DOGE-USD"])).status_code == 404


def test_my_open_orders_and_fills_are_on_the_trading_page(page, alice, bob, funded, engine):
    place(bob, "SELL", "100.00", "0.200")
    placed = place(alice, "BUY", "100.00", "0.500")
    html = page.get(reverse("trade", args=["BTC-USD"])).content.decode()
    assert f'data-order-id="{placed["order"]["id"]}"' in html
    fills = re.search(r'<table[^>]* id="fills".*?</table>', html, re.S).group(0)
    assert "0.200" in fills and "Taker" in fills
