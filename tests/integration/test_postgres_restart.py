"""PostgreSQL restarted under a stream of orders (issue 12): the worker answers the batches it
could not commit "not committed" and recovers without a restart of its own; web processes
reconnect; callers in flight get a 503; nothing acknowledged is lost and the books rebuild equal.

The stack runs on a PostgreSQL cluster of this module's own (tests/integration/private_services.py):
the shared server must never be restarted.
"""

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.conftest import REDIS_URL, require_service
from tests.integration.conftest import OrderStream, ScaledStack, outcome_problems, rebuilt_books, stored_books
from tests.integration.private_services import PrivatePostgres

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres().init()
    pg.start()
    yield pg
    pg.remove()


@pytest.fixture(scope="module")
def pg_stack(private_pg: PrivatePostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledStack]:
    require_service("Redis", REDIS_URL)
    with ScaledStack(tmp_path_factory.mktemp("pg-stack"), postgres_url=private_pg.url()) as stack:
        yield stack


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_postgres_restart_mid_stream_loses_nothing_acknowledged_and_the_worker_recovers(
    pg_stack: ScaledStack, private_pg: PrivatePostgres
) -> None:
    stack = pg_stack
    worker = stack.worker
    assert worker is not None
    traders = stack.new_traders(4, funds={"USD": "1000000", "ETH": "1000"}, prefix="pgr-")
    stream = OrderStream(
        traders, symbol="ETH-USD", mid=Decimal("2000"), tick=Decimal("0.5"), qty="0.05"
    ).start()
    try:
        wait_until(lambda: stream.count("place") >= 60, 60, "60 acknowledged orders before the restart")
        stack.sql("SELECT 1")  # the audit connection is cut too: reopen it after
        private_pg.restart(down_seconds=1.0)
        stack._db = None
        target = stream.count("place") + 60
        wait_until(lambda: stream.count("place") >= target, 45, "60 orders acknowledged after the restart")
    finally:
        stream.stop()

    print(f"stream: {stream.summary()}")
    assert worker.alive() and stack.worker is worker, "the worker had to be restarted:\n" + worker.tail()
    engine = stack.wait_engine()
    problems = outcome_problems(stack, traders, stream.outcomes)
    assert not problems, "\n".join(problems[:30])
    verification = stack.verify_ledger()
    assert verification.ok, verification.output
    assert verification.engine_hash == verification.rebuilt_hash == engine["state_hash"]
    assert rebuilt_books(stack) == stored_books(stack)
