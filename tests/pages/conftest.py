"""Fixtures of the page tests: logged-in browser-like clients (Django test client), a market, and
the real embedded engine behind the spy (tests/engine_spy.py)."""

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import fund


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and market-data snapshots live in the cache: start each test clean."""
    cache.clear()
    yield
    cache.clear()


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
