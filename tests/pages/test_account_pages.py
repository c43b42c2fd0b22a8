"""Account pages: balances and the faucet, ledger and fills with filters and CSV, orders history,
positions, API keys."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import ApiKey, Balance
from tests.engine.helpers import place
from trading.models import Trade

pytestmark = pytest.mark.django_db


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("name", ["account", "ledger", "ledger-csv", "account-api-keys", "orders", "fills",
                                  "fills-csv", "positions"])  # fmt: skip
def test_account_pages_need_a_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_balances_show_free_and_locked(page, alice, funded, engine):
    place(alice, "BUY", "100.00", "0.500")
    html = page.get(reverse("account")).content.decode()
    row = re.search(r'<tr data-asset="USD"[^>]*>.*?</tr>', html, re.S).group(0)
    assert re.findall(r'data-field="(\w+)">([^<]+)<', row) == [
        ("free", "9950.00"), ("locked", "50.00"), ("total", "10000.00")]  # fmt: skip


def test_the_faucet_credits_paper_money(page, alice, btc_usd, engine, settings):
    settings.FAUCET_ENABLED = True
    response = page.post(reverse("faucet"), {"asset": "USD", "amount": "1000"}, follow=True)
    assert "Credited 1000 USD (paper money)." in response.content.decode()
    assert Balance.objects.get(user=alice, asset__code="USD").free == Decimal(1000)


def test_the_faucet_says_its_limit_in_words(page, alice, btc_usd, engine, settings):
    settings.FAUCET_ENABLED = True
    response = page.post(reverse("faucet"), {"asset": "USD", "amount": "1000000"}, follow=True)
    assert "No funds credited: At most 10000 USD per call." in response.content.decode()
    assert not Balance.objects.filter(user=alice, asset__code="USD").exists()


def test_the_faucet_is_hidden_and_refused_when_disabled(page, btc_usd, settings):
    settings.FAUCET_ENABLED = False
    assert "Faucet" not in page.get(reverse("account")).content.decode()
    response = page.post(reverse("faucet"), {"asset": "USD", "amount": "1"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "disabled" in response.json()["message"]


def test_the_ledger_filters_by_asset_and_reason(page, alice, funded, engine):
    place(alice, "BUY", "100.00", "0.500")
    html = page.get(reverse("ledger"), {"asset": "USD", "reason": "ORDER_HOLD"}).content.decode()
    rows = re.findall(r"<tr><td class=\"mono muted\">.*?</tr>", html, re.S)
    assert len(rows) == 1 and "-50.00" in rows[0] and "Held for an order" in rows[0]


def test_the_ledger_refuses_an_unknown_asset_in_words(page, funded):
    response = page.get(reverse("ledger"), {"asset": "DOGE"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_the_ledger_exports_csv_exactly(page, alice, funded, engine):
    place(alice, "BUY", "100.00", "0.500")
    response = page.get(reverse("ledger-csv"), {"asset": "USD"})
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert rows[0] == [
        "id",
        "time",
        "asset",
        "delta_free",
        "delta_locked",
        "reason",
        "order_id",
        "trade_id",
        "note",
    ]
    assert [r[3:6] for r in rows[1:]] == [["-50.00000000", "50.00000000", "ORDER_HOLD"],
                                          ["10000.00000000", "0.00000000", "DEPOSIT"]]  # fmt: skip


def test_ledger_pages_link_to_older_entries(page, alice, funded, engine, monkeypatch):
    monkeypatch.setattr("accounts.views.LEDGER_PAGE", 1)
    html = page.get(reverse("ledger")).content.decode()
    older = re.search(r'href="\?before=(\d+)"', html)
    assert older
    second = page.get(reverse("ledger"), {"before": older.group(1)}).content.decode()
    assert second.count('<tr><td class="mono muted">') == 1


def test_fills_page_and_csv(page, alice, bob, funded, engine):
    place(bob, "SELL", "100.00", "0.200")
    order = place(alice, "BUY", "100.00", "0.200")["order"]
    html = page.get(reverse("fills"), {"symbol": "BTC-USD"}).content.decode()
    assert f"#{order['id']}" in html and "Taker" in html
    rows = csv_rows(page.get(reverse("fills-csv")))
    assert rows[1][2:10] == ["BTC-USD", "BUY", "100.00000000", "0.20000000", "20.00000000", "0.00040000",
                             "BTC", "TAKER"]  # fmt: skip


def test_order_history_filters(page, alice, bob, funded, engine):
    place(bob, "SELL", "100.00", "0.200")
    filled = place(alice, "BUY", "100.00", "0.200")["order"]
    resting = place(alice, "BUY", "90.00", "0.100")["order"]
    open_html = page.get(reverse("orders"), {"status": "open"}).content.decode()
    assert (
        f'data-order-id="{resting["id"]}"' in open_html and f'data-order-id="{filled["id"]}"' not in open_html
    )
    closed_html = page.get(reverse("orders"), {"status": "closed", "side": "BUY"}).content.decode()
    assert (
        f'data-order-id="{filled["id"]}"' in closed_html
        and f'data-order-id="{resting["id"]}"' not in closed_html
    )


def test_positions_show_average_entry_and_pnl(page, alice, bob, funded, engine):
    place(bob, "SELL", "100.00", "0.200")
    place(alice, "BUY", "100.00", "0.200")
    place(bob, "SELL", "110.00", "0.100")
    place(alice, "BUY", "110.00", "0.100")
    html = page.get(reverse("positions")).content.decode()
    row = re.search(r'<tr data-symbol="BTC-USD">.*?</tr>', html, re.S).group(0)
    cells = re.findall(r'<td class="num mono[^"]*"(?: data-field="\w+")?>([^<]+?)\s*(?:<span|</td>)', row)
    assert cells[0] == "0.300"  # position (lot 0.001), net of nothing: fees are in BTC for a buyer
    assert cells[1:3] == ["103.33", "110.00"]  # average entry, last price
    assert cells[3] == "2.00"  # (110 - 103.333...) x 0.3 = 2.0000001 rounded for display
    # Alice took both times: her fees were paid in BTC, valued at each trade's price, in USD.
    fee = Decimal(alice_taker_fee(alice))
    assert cells[5] == f"{fee:.2f}" and Decimal(cells[5]) > 0
    assert cells[6] == f"{Decimal('2.0000001') - fee:.2f}"  # net PnL: realized 0 + unrealized − fees
    assert "USD" in row  # every amount says its unit


def alice_taker_fee(user) -> Decimal:
    trades = Trade.objects.filter(taker=user)
    return sum((t.taker_fee * t.price for t in trades), Decimal(0))


def test_api_key_secret_is_shown_once(page, alice):
    response = page.post(reverse("account-api-keys"), {"label": "bot", "scopes": ["READ", "TRADE"]})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(user=alice)
    html = response.content.decode()
    secret = re.search(r'<code id="new-secret">([0-9a-f]{64})</code>', html).group(1)
    assert (key.can_read, key.can_trade, key.label) == (True, True, "bot")
    again = page.get(reverse("account-api-keys")).content.decode()
    assert key.key in again and secret not in again


def test_api_key_needs_a_scope(page, alice):
    response = page.post(reverse("account-api-keys"), {"label": "x"})
    assert response.status_code == 400 and "Choose at least one scope." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_api_key_revoke(page, alice, bob_page):
    page.post(reverse("account-api-keys"), {"label": "bot", "scopes": ["READ"]})
    key = ApiKey.objects.get()
    bob_page.post(reverse("account-api-key-revoke", args=[key.id]))
    key.refresh_from_db()
    assert key.revoked_at is None  # not bob's
    response = page.post(reverse("account-api-key-revoke", args=[key.id]), follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None and "revoked" in response.content.decode()


def test_api_key_creation_is_throttled_like_the_api(page, alice, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "api_key_create": "1/hour"}}  # fmt: skip
    page.post(reverse("account-api-keys"), {"scopes": ["READ"]})
    response = page.post(reverse("account-api-keys"), {"scopes": ["READ"]})
    assert response.status_code == 429 and "Too many keys created recently" in response.content.decode()
    assert ApiKey.objects.count() == 1
