"""Fixtures of the trading API tests: a user with a client, an instrument, and the engine.

`engine` is the real embedded engine behind a spy (tests/engine_spy.py) that records commands and
can simulate a lost reply or a full queue.
"""

import pytest
from rest_framework.test import APIClient


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
