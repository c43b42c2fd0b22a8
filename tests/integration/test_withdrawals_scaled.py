"""Withdrawals on the scaled stack (PostgreSQL, Redis, gunicorn, one worker process): parallel
retries hold once, parallel requests never overdraw, and a worker killed with SIGKILL comes back
with every PENDING hold."""

import signal
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.conftest import Reply, ScaledStack, Trader

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]
WITHDRAWALS = "/api/v1/withdrawals/"


def all_at_once(trader: Trader, bodies: list[dict[str, Any]]) -> list[Reply]:
    """POSTs every body from its own thread (own connection), released together by a barrier."""
    barrier = threading.Barrier(len(bodies))

    def send(body: dict[str, Any]) -> Reply:
        api = trader.api.clone()
        barrier.wait()
        try:
            return api.post(WITHDRAWALS, body)
        finally:
            api.close()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


def test_ten_parallel_retries_of_one_client_withdrawal_id_hold_once(stack: ScaledStack) -> None:
    [trader] = stack.new_traders(1, funds={"BTC": "1"}, prefix="wd-retry-")
    body = {"asset": "BTC", "amount": "0.3", "address": "bc1qexample", "client_withdrawal_id": "same"}

    replies = all_at_once(trader, [body] * 10)

    assert sorted(r.status for r in replies) == [200] * 9 + [201], [str(r) for r in replies]
    assert len({r.body["id"] for r in replies}) == 1
    rows = stack.sql("SELECT status, amount FROM accounts_withdrawal WHERE user_id = %s", (trader.user_id,))
    assert rows == [("PENDING", 30_000_000)]  # atoms
    assert trader.api.balances()["BTC"] == (Decimal("0.7"), Decimal("0.3"))


def test_thirty_parallel_withdrawals_only_the_affordable_ones_hold(stack: ScaledStack) -> None:
    [trader] = stack.new_traders(1, funds={"BTC": "1"}, prefix="wd-nsf-")
    body = {"asset": "BTC", "amount": "0.1", "address": "bc1qexample"}

    replies = all_at_once(trader, [body] * 30)

    assert Counter(r.status for r in replies) == {201: 10, 400: 20}
    assert {(r.code, r.body.get("reason")) for r in replies if r.status == 400} == {
        (-2010, "RISK_INSUFFICIENT_FUNDS")
    }
    assert trader.api.balances()["BTC"] == (Decimal(0), Decimal("1"))
    verification = stack.verify_ledger()
    assert verification.ok, verification.output


def test_a_killed_worker_comes_back_with_the_pending_hold(stack: ScaledStack) -> None:
    [trader] = stack.new_traders(1, funds={"BTC": "1"}, prefix="wd-restart-")
    first = trader.api.post(WITHDRAWALS, {"asset": "BTC", "amount": "0.4", "address": "bc1qexample"})
    kept = trader.api.post(WITHDRAWALS, {"asset": "BTC", "amount": "0.25", "address": "bc1qexample"})
    assert first.status == kept.status == 201

    assert stack.kill_worker(signal.SIGKILL) == -signal.SIGKILL
    stack.start_worker()
    engine = stack.wait_engine()

    verification = stack.verify_ledger()
    assert verification.ok, verification.output
    assert verification.engine_hash == verification.rebuilt_hash == engine["state_hash"]
    assert trader.api.balances()["BTC"] == (Decimal("0.35"), Decimal("0.65"))
    # the restarted engine still holds them: one can be cancelled, the other cannot overdraw
    assert trader.api.delete(f"{WITHDRAWALS}{first.body['id']}/").body["status"] == "CANCELED"
    assert trader.api.balances()["BTC"] == (Decimal("0.75"), Decimal("0.25"))
    too_much = trader.api.post(
        WITHDRAWALS, {"asset": "BTC", "amount": "0.75000001", "address": "bc1qexample"}
    )
    assert (too_much.status, too_much.code) == (400, -2010)
    again = trader.api.post(WITHDRAWALS, {"asset": "BTC", "amount": "0.1", "address": "x",
                                          "client_withdrawal_id": kept.body["client_withdrawal_id"]})  # fmt: skip
    assert (again.status, again.body["id"], again.body["status"]) == (200, kept.body["id"], "PENDING")
    assert stack.verify_ledger().ok
