"""Server side of the trader tools on the pages (issue 13): favourites, cancel-all, the first-run
steps after signup, the account's value and PnL with fees, traders' words in filters."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Favourite
from tests.engine.helpers import place
from tests.factories import make_instrument
from trading.models import Order
from trading.positions import account_value, fees_in_quote

TRADE = reverse("trade", args=["BTC-USD"])


def test_a_starred_market_is_listed_first_and_unstarred_again(page, alice, btc_usd):
    make_instrument("ETH-USD")
    make_instrument("AAA-USD")
    url = reverse("favourite", args=["ETH-USD"])
    response = page.post(url, {"on": "1"}, HTTP_ACCEPT="application/json")
    assert response.json() == {"ok": True, "level": "success", "message": "ETH-USD added to your favourites.",
                               "favourite": True}  # fmt: skip
    page.post(url, {"on": "1"})  # twice: still one star
    assert Favourite.objects.filter(user=alice).count() == 1
    symbols = re.findall(r'<tr data-symbol="([A-Z-]+)"', page.get(reverse("home")).content.decode())
    assert symbols == ["ETH-USD", "AAA-USD", "BTC-USD"]
    page.post(url, {"on": "0"}, follow=True)
    assert not Favourite.objects.filter(user=alice).exists()


def test_favourites_need_a_login_and_a_real_market(client, page, btc_usd):
    assert client.post(reverse("favourite", args=["BTC-USD"]), {"on": "1"}).status_code == 302
    assert page.post(reverse("favourite", args=["NOPE-USD"]), {"on": "1"}).status_code == 404
    assert page.get(reverse("favourite", args=["BTC-USD"])).status_code == 405
    assert not Favourite.objects.exists()


def test_cancel_all_cancels_my_orders_on_this_market_only(page, alice, bob, funded, engine):
    mine = [place(alice, "BUY", price, "0.100")["order"]["id"] for price in ("90.00", "91.00")]
    theirs = place(bob, "BUY", "92.00", "0.100")["order"]["id"]
    response = page.post(reverse("order-cancel-all", args=["BTC-USD"]), {"next": TRADE}, follow=True)
    assert "2 open orders canceled." in response.content.decode()
    assert set(Order.objects.filter(id__in=mine).values_list("status", flat=True)) == {"CANCELED"}
    assert Order.objects.get(id=theirs).status == "NEW"
    again = page.post(reverse("order-cancel-all", args=["BTC-USD"]), HTTP_ACCEPT="application/json")
    assert again.json()["message"] == "No open orders to cancel."


def test_cancel_all_with_scope_all_covers_every_market(page, alice, funded, engine):
    from tests.factories import fund

    make_instrument("ETH-USD")
    fund(alice, "ETH", "5")
    place(alice, "BUY", "90.00", "0.100")
    place(alice, "SELL", "5000.00", "0.100", symbol="ETH-USD")
    response = page.post(reverse("order-cancel-all", args=["BTC-USD"]), {"scope": "all"},
                         HTTP_ACCEPT="application/json")  # fmt: skip
    assert sorted(o["symbol"] for o in response.json()["orders"]) == ["BTC-USD", "ETH-USD"]
    assert not Order.objects.filter(user=alice, status="NEW").exists()


def test_signup_leads_to_the_first_run_steps(client, btc_usd, settings):
    settings.FAUCET_ENABLED = True
    response = client.post(reverse("signup"), {"username": "newbie", "email": "n@example.test",
                                               "password1": "Sturdy-pass-123", "password2": "Sturdy-pass-123"},
                           follow=True)  # fmt: skip
    assert response.redirect_chain[-1][0] == reverse("account")
    html = response.content.decode()
    assert 'id="first-run"' in html and "Claim paper money" in html and 'data-claim="USD"' in html
    assert f'href="{TRADE}"' in html  # step 2: the first market


def test_account_value_and_pnl_count_fees_in_the_quote_currency(page, alice, bob, funded, engine):
    place(bob, "SELL", "100.00", "1.000")
    place(alice, "BUY", "100.00", "1.000")  # alice takes 1 BTC at 100: 0.2 % fee, paid in BTC
    place(alice, "SELL", "110.00", "0.500")
    place(bob, "BUY", "110.00", "0.500")  # bob takes from alice at 110: alice's 0.1 % fee, in USD
    fees = fees_in_quote(user=alice)["BTC-USD"]
    assert fees == Decimal("0.002") * 100 + Decimal("0.055")  # 0.2 + 0.055
    summary = account_value(user=alice)
    # USD 10000 - 100 + 55 - 0.055; BTC 2 + 0.998 - 0.5 at the last price 110
    assert summary.value == Decimal("9954.945") + Decimal("2.498") * 110
    # realized (110 - 100) x 0.5 = 5, unrealized (110 - 100) x 0.5 = 5, less the fees
    assert summary.pnl == Decimal(10) - fees
    html = page.get(reverse("account")).content.decode()
    assert "10229.73 USD" in html and "+9.75 USD" in html  # 10229.725 and 9.745, rounded for display


def test_status_filter_reads_as_words(page, db):
    html = page.get(reverse("orders")).content.decode()
    assert ">Partially filled<" in html and "Partially_filled" not in html


@pytest.mark.parametrize("url", ["home", "account", "orders"])
def test_every_page_loads_the_site_script(page, btc_usd, url):
    assert "js/site.js" in page.get(reverse(url)).content.decode()


def test_why_an_order_ended_is_said_in_words(page, alice, funded, engine):
    place(alice, "BUY", "100.00", "0.100", tif="IOC")  # nothing to trade with: EXPIRED
    html = page.get(reverse("orders")).content.decode()
    assert ">(not enough orders in the book for the rest)<" in html  # the code stays in the title


def test_open_orders_of_other_markets_are_listed_and_marked_to_hide(page, alice, funded, engine):
    from tests.factories import fund

    make_instrument("ETH-USD")
    fund(alice, "ETH", "5")
    here = place(alice, "BUY", "90.00", "0.100")["order"]["id"]
    there = place(alice, "SELL", "5000.00", "0.100", symbol="ETH-USD")["order"]["id"]
    html = page.get(TRADE).content.decode()
    table = re.search(r'<table[^>]* id="open-orders".*?</table>', html, re.S).group(0)
    assert 'class="grid compact stack-sm hide-others"' in table
    assert re.search(rf'<tr data-order-id="{here}" data-symbol="BTC-USD">', table)
    assert re.search(rf'<tr data-order-id="{there}" data-symbol="ETH-USD" class="other">', table)


def test_the_account_summary_is_json_for_its_owner_only(client, page, alice, funded, engine):
    assert client.get(reverse("account-summary")).status_code == 302  # to the login page
    body = page.get(reverse("account-summary")).json()
    assert body == {"home": "USD", "value": body["value"], "pnl": "0"}
    assert Decimal(body["value"]) == Decimal("10000")  # BTC has no trade price yet: not valued
