"""kill -9 of the engine worker in the middle of a stream of orders: a reply means committed
(ARCHITECTURE decision 2) and recovery is a rebuild (decision 4)."""

import signal
import time
from collections.abc import Callable
from decimal import Decimal

import pytest

from tests.integration.conftest import (
    SOAK_SCALE,
    OrderStream,
    ScaledStack,
    outcome_problems,
    rebuilt_books,
    retry_problems,
    stored_books,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]

FUNDS = {"USD": "1000000", "ETH": "1000"}


def eth_stream(stack: ScaledStack, traders: int, prefix: str) -> OrderStream:
    """Client threads placing and canceling ETH-USD orders around 2000 (they cross often)."""
    return OrderStream(
        stack.new_traders(traders, funds=FUNDS, prefix=prefix), symbol="ETH-USD", mid=Decimal("2000"),
        tick=Decimal("0.5"), qty="0.05",
    )  # fmt: skip


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def crash_and_restart(
    stack: ScaledStack, stream: OrderStream, *, placed_before: int, placed_after: int
) -> None:
    """Waits for `placed_before` acknowledged orders, kills the worker with SIGKILL, restarts it
    and waits for `placed_after` more acknowledged orders."""
    wait_until(lambda: stream.count("place") >= placed_before, 30, f"{placed_before} acknowledged orders")
    assert stack.kill_worker(signal.SIGKILL) == -signal.SIGKILL
    time.sleep(0.5)  # the clients keep sending: those commands wait in Redis or time out (503 -1007)
    stack.start_worker()
    target = stream.count("place") + placed_after
    wait_until(
        lambda: stream.count("place") >= target, 30, f"{placed_after} orders acknowledged after the restart"
    )


def assert_recovered(stack: ScaledStack, stream: OrderStream) -> None:
    trades = stack.sql("SELECT count(*) FROM trading_trade")[0][0]
    print(f"stream: {stream.summary()}; trades in the database: {trades}")
    engine = stack.wait_engine()  # queues behind every command sent before: all of them are handled
    problems = outcome_problems(stack, stream.traders, stream.outcomes)
    assert not problems, "\n".join(problems[:30])
    verification = stack.verify_ledger()
    assert verification.ok, verification.output
    assert verification.engine_hash == verification.rebuilt_hash == engine["state_hash"]
    books = rebuilt_books(stack)
    assert books == stored_books(stack)
    assert engine["open_orders"] == sum(len(book["orders"]) for book in books.values())


def test_kill_9_mid_stream_loses_no_acknowledged_order_and_rebuilds_the_same_books(
    stack: ScaledStack,
) -> None:
    stream = eth_stream(stack, 4, "crash-").start()
    try:
        crash_and_restart(stack, stream, placed_before=80, placed_after=80)
    finally:
        stream.stop()

    assert stream.count("place") >= 160
    assert_recovered(stack, stream)
    problems = retry_problems(stream.traders, stream.outcomes)
    assert not problems, "\n".join(problems)
    verification = stack.verify_ledger()
    assert verification.ok, verification.output

    # A second, idle crash: the rebuilt engine equals the one that died.
    before = stack.engine_state()
    stack.kill_worker(signal.SIGKILL)
    stack.start_worker()
    assert stack.engine_state() == before


@pytest.mark.slow
def test_soak_repeated_kill_9_under_load(stack: ScaledStack) -> None:
    """QX_SOAK_SCALE=10 for a longer soak: more crashes, more clients, more orders between them."""
    crashes = max(2, round(3 * SOAK_SCALE))
    stream = eth_stream(stack, max(4, round(6 * min(SOAK_SCALE, 4))), "soak-").start()
    try:
        for _ in range(crashes):
            crash_and_restart(stack, stream, placed_before=0, placed_after=round(150 * SOAK_SCALE))
    finally:
        stream.stop(timeout=60)
    assert_recovered(stack, stream)
