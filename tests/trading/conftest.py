"""Fixtures of the trading API tests: a user with a client, an instrument, and the engine.

`engine` is the real embedded engine behind a spy (tests/engine_spy.py) that records commands and
can simulate a lost reply or a full queue.
"""

import pytest
from rest_framework.test import APIClient

from tests.engine_spy import EngineSpy, install_engine_spy
from tests.factories import make_instrument, make_user


@pytest.fixture
def engine(monkeypatch) -> EngineSpy:
    return install_engine_spy(monkeypatch)


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def btc_usd(db):
    """tick 0.01, lot 0.001, qty 0.001..1000, min notional 1 USD, fees 0.1% maker / 0.2% taker."""
    return make_instrument("BTC-USD")


@pytest.fixture
def api(alice) -> APIClient:
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def bob_api(bob) -> APIClient:
    client = APIClient()
    client.force_authenticate(bob)
    return client
