"""Test-wide fixtures: real services (PostgreSQL, Redis) and small factories.

Locally a missing service skips the tests that need it, with a clear message; in CI (CI=true) it is
a failure, so a green CI run means those tests really ran.
"""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get("QX_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/quantx")
REDIS_URL = os.environ.get("QX_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def service_reachable(url: str) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, url: str) -> None:
    """Skip (locally) or fail (CI) when a service the test needs is down."""
    if service_reachable(url):
        return
    message = f"{name} is not reachable at {url}; start it (see README 'Services')"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def pytest_sessionstart(session: pytest.Session) -> None:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql") and not service_reachable(settings.DATABASE_URL):
        message = f"PostgreSQL pass: server not reachable at {settings.DATABASE_URL}"
        pytest.exit(message, returncode=1 if IN_CI else 0)


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", REDIS_URL)
    return REDIS_URL


@pytest.fixture
def postgres_url() -> str:
    require_service("PostgreSQL", POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render pages without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session", autouse=True)
def _engine_lock_released_before_db_teardown(django_db_setup):
    """The embedded engine holds a lock (a PostgreSQL session) that would block dropping the test database."""
    yield
    from engine.worker.lock import engine_lock_release

    engine_lock_release()


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Each test starts with empty per-process caches (instruments, auth): rows they held may have
    been rolled back with the previous test's transaction."""
    from accounts.auth_cache import auth_cache_clear
    from trading.selectors import instruments_cache_clear

    auth_cache_clear()
    instruments_cache_clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Shared by the API, page and market-data tests.


@pytest.fixture
def engine(monkeypatch):
    """The real embedded engine behind a spy that records commands (tests/engine_spy.py)."""
    from tests.engine_spy import install_engine_spy

    return install_engine_spy(monkeypatch)


@pytest.fixture
def alice(db):
    from tests.factories import make_user

    return make_user("alice")


@pytest.fixture
def bob(db):
    from tests.factories import make_user

    return make_user("bob")


@pytest.fixture
def btc_usd(db):
    """tick 0.01, lot 0.001, qty 0.001..1000, min notional 1 USD, fees 0.1% maker / 0.2% taker."""
    from tests.factories import make_instrument

    return make_instrument("BTC-USD")
