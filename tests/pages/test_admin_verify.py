"""The staff "verify" page in the admin: ledger proofs and the engine's state hash."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Balance
from tests.engine.helpers import place
from tests.factories import make_user

pytestmark = pytest.mark.django_db
VERIFY = reverse("admin:verify")


@pytest.fixture
def staff_page(client, db):
    client.force_login(make_user("staffer", is_staff=True))
    return client


def test_verify_needs_staff(page):
    response = page.get(VERIFY)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_verify_page_runs_on_post_and_shows_the_result(staff_page, alice, bob, funded, engine):
    place(alice, "BUY", "100.00", "0.500")
    place(bob, "SELL", "100.00", "0.200")
    assert "Run the checks" in staff_page.get(VERIFY).content.decode()
    html = staff_page.post(VERIFY).content.decode()
    assert "Everything balances, and the engine's state equals the rebuild from the database." in html
    assert "state hash: engine" in html and ": equal" in html


def test_verify_shows_a_failure(staff_page, alice, funded, engine):
    Balance.objects.filter(user=alice, asset__code="USD").update(free=Decimal("123"))
    html = staff_page.post(VERIFY).content.decode()
    assert "Verification FAILED" in html
    assert "LEDGER: user" in html


def test_verify_without_an_engine_answer_still_runs_the_ledger_checks(staff_page, funded, monkeypatch):
    from engine.client import EngineUnavailable

    def no_engine(command, **kwargs):
        raise EngineUnavailable("no reply (test)")

    monkeypatch.setattr("engine.client.seam.engine_request_sync", no_engine)
    html = staff_page.post(VERIFY).content.decode()
    assert "The engine did not answer" in html and "Everything balances." in html


def test_a_moving_market_makes_verify_retry(staff_page, funded, monkeypatch):
    hashes = iter(["a", "b", "c", "c"])
    monkeypatch.setattr("engine.admin._engine_state", lambda: {"state_hash": next(hashes), "open_orders": 0})
    monkeypatch.setattr(
        "engine.admin.ledger_verify",
        lambda engine_hash=None: __import__("engine.worker.verify").worker.verify.LedgerReport(
            engine_hash=engine_hash, rebuilt_hash=engine_hash
        ),
    )
    html = staff_page.post(VERIFY).content.decode()
    assert "Everything balances" in html and "<td>Attempts</td><td>3</td>" in html
