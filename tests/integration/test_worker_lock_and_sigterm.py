"""One engine worker per database (engine/worker/lock.py), and a clean stop on SIGTERM (engine/worker/pipeline.py)."""

import contextlib
import signal
import time
from decimal import Decimal

import pytest

from tests.integration.conftest import (
    WORKER_LISTENING,
    OrderStream,
    ScaledStack,
    StackError,
    outcome_problems,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]

LOCK_MESSAGE = "another engine worker holds the lock"
ENGINE_STARTED = "engine: recovered"  # the engine took its lock and rebuilt its state


def test_a_second_worker_exits_non_zero_at_once_with_a_clear_message(stack: ScaledStack) -> None:
    before = stack.engine_state()
    second = stack.spawn_worker()
    try:
        code = second.wait(15)
        assert code is not None, (
            "a second `runworker engine` is still running 15 s after it started, listening on the engine "
            f"channel beside the first; it should have refused to start:\n{second.tail()}"
        )
        assert code != 0
        assert LOCK_MESSAGE in second.log()
    finally:
        second.stop()
    assert stack.engine_state() == before


def test_a_second_worker_takes_no_command_from_the_running_one(stack: ScaledStack) -> None:
    [trader] = stack.new_traders(1, funds={"USD": "1000"}, prefix="second-")
    second = stack.spawn_worker()
    try:
        with contextlib.suppress(StackError):  # it refused to start: it cannot take anything
            stack.wait_for_log(second, WORKER_LISTENING, 30)
        replies = [trader.api.place("BTC-USD", "BUY", "0.001", "1000") for _ in range(20)]
    finally:
        second.stop()
    assert [r.status for r in replies] == [201] * 20, [str(r) for r in replies if r.status != 201]
    verification = stack.verify_ledger()
    assert verification.ok, verification.output


def test_sigterm_finishes_the_batch_in_hand_commits_and_exits_0(stack: ScaledStack) -> None:
    traders = stack.new_traders(3, funds={"USD": "1000000", "ETH": "1000"}, prefix="term-")
    stream = OrderStream(
        traders, symbol="ETH-USD", mid=Decimal("2000"), tick=Decimal("0.5"), qty="0.05"
    ).start()
    try:
        deadline = time.monotonic() + 30
        while stream.count("place") < 60:
            assert time.monotonic() < deadline, "the stream did not get going"
            time.sleep(0.05)
        worker = stack.worker
        assert worker is not None
        started = time.monotonic()
        code = stack.kill_worker(signal.SIGTERM, timeout=15)
        stopped_in = time.monotonic() - started
        stack.start_worker()
    finally:
        stream.stop()
    print(f"SIGTERM -> exit {code} in {stopped_in:.2f} s; stream: {stream.summary()}")
    assert code == 0, worker.tail()
    assert "stopped cleanly" in worker.log()
    stack.wait_engine()
    problems = outcome_problems(stack, traders, stream.outcomes)
    assert not problems, "\n".join(problems[:30])
    verification = stack.verify_ledger()
    assert verification.ok, verification.output


def test_sigterm_before_the_first_command_exits_0(stack: ScaledStack) -> None:
    assert stack.kill_worker(signal.SIGTERM) == 0
    idle = stack.spawn_worker()
    try:
        stack.wait_for_log(idle, ENGINE_STARTED, 30)
        idle.send(signal.SIGTERM)
        code = idle.wait(15)
    finally:
        idle.stop()
    assert code == 0, f"a worker that has not received a command yet exits {code} on SIGTERM:\n{idle.tail()}"
