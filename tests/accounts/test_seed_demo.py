from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Balance, LedgerEntry, User
from accounts.selectors import ledger_mismatches
from trading.models import Instrument

pytestmark = pytest.mark.django_db


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_the_demo_market_and_prints_the_password():
    output = seed()
    assert "quantx-demo" in output
    assert set(Instrument.objects.values_list("symbol", flat=True)) == {"BTC-USD", "ETH-USD", "ETH-BTC"}
    alice = User.objects.get(username="alice")
    assert alice.check_password("quantx-demo")
    assert Balance.objects.get(user=alice, asset__code="USD").free == Decimal("100000")
    assert User.objects.get(username="admin").is_staff
    assert ledger_mismatches() == []


def test_seed_demo_twice_changes_nothing():
    seed()
    entries = LedgerEntry.objects.count()
    seed()
    assert LedgerEntry.objects.count() == entries
    assert set(User.objects.filter(is_active=True).values_list("username", flat=True)) == {
        "alice",
        "bob",
        "admin",
    }


def test_every_demo_instrument_has_an_exact_notional_step():
    seed()
    for instrument in Instrument.objects.all():
        instrument.full_clean()


def test_seed_demo_prints_the_admin_url_of_the_port_in_use():
    out = StringIO()
    call_command("seed_demo", "--url", "http://127.0.0.1:8130", stdout=out)
    assert "http://127.0.0.1:8130/admin/" in out.getvalue() and ":8000" not in out.getvalue()
