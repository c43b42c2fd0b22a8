"""Fixtures of the page tests: logged-in browser-like clients (Django test client), a market, and
the real embedded engine behind the spy (tests/engine_spy.py)."""

import pytest
from django.core.cache import cache
from django.test import Client

from tests.engine_spy import EngineSpy, install_engine_spy
from tests.factories import fund, make_instrument, make_user


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and market-data snapshots live in the cache: start each test clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def engine(monkeypatch) -> EngineSpy:
    return install_engine_spy(monkeypatch)


@pytest.fixture
def btc_usd(db):
    """tick 0.01, lot 0.001, qty 0.001..1000, min notional 1 USD, fees 0.1% maker / 0.2% taker."""
    return make_instrument("BTC-USD")


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def funded(alice, bob, btc_usd, engine):
    for user in (alice, bob):
        fund(user, "USD", "10000")
        fund(user, "BTC", "2")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def page(alice) -> Client:
    """alice's browser."""
    return logged_in(alice)


@pytest.fixture
def bob_page(bob) -> Client:
    return logged_in(bob)
