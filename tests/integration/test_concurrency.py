"""Parallel requests against the scaled stack: the single writer never oversells and never doubles."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.conftest import Reply, ScaledStack, Trader

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]


def all_at_once(trader: Trader, bodies: list[dict[str, Any]]) -> list[Reply]:
    """POSTs every order from its own thread (own connection), released together by a barrier."""
    barrier = threading.Barrier(len(bodies))

    def send(body: dict[str, Any]) -> Reply:
        api = trader.api.clone()
        barrier.wait()
        try:
            return api.post("/api/v1/orders/", body)
        finally:
            api.close()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


def test_fifty_parallel_buys_only_the_ten_affordable_are_accepted(stack: ScaledStack) -> None:
    [trader] = stack.new_traders(1, funds={"BTC": "0.5"}, prefix="parallel-")
    # each holds 0.05 BTC
    order = {"symbol": "ETH-BTC", "side": "BUY", "type": "LIMIT", "qty": "1", "price": "0.05"}

    replies = all_at_once(trader, [{**order, "client_order_id": f"nsf-{i}"} for i in range(50)])

    by_status = Counter(r.status for r in replies)
    assert by_status == {201: 10, 400: 40}, [str(r) for r in replies if r.status not in (201, 400)]
    refused = [r for r in replies if r.status == 400]
    assert {(r.code, r.body.get("reason")) for r in refused} == {(-2010, "RISK_INSUFFICIENT_FUNDS")}
    assert trader.api.balances()["BTC"] == (Decimal(0), Decimal("0.5"))
    accepted = {r.body["id"] for r in replies if r.status == 201}
    rows = stack.sql("SELECT id FROM trading_order WHERE user_id = %s", (trader.user_id,))
    assert {row[0] for row in rows} == accepted


def test_ten_parallel_retries_of_one_client_order_id_make_one_order(stack: ScaledStack) -> None:
    [trader] = stack.new_traders(1, funds={"BTC": "1"}, prefix="retry-")
    order = {"symbol": "ETH-BTC", "side": "BUY", "type": "LIMIT", "qty": "1", "price": "0.05"}

    replies = all_at_once(trader, [{**order, "client_order_id": "same-id"}] * 10)

    assert sorted(r.status for r in replies) == [200] * 9 + [201], [str(r) for r in replies]
    assert len({r.body["id"] for r in replies}) == 1
    rows = stack.sql("SELECT id, status FROM trading_order WHERE user_id = %s", (trader.user_id,))
    assert rows == [(replies[0].body["id"], "NEW")]
    assert trader.api.balances()["BTC"] == (Decimal("0.95"), Decimal("0.05"))


def test_parallel_retries_of_an_order_that_closed_at_once_make_one_order_and_no_error(
    stack: ScaledStack,
) -> None:
    """An IOC order expires in the batch that places it; retries queued behind that batch must get
    it back (200), not be placed again: engine/worker/batch.py skips the database lookup for a client order
    id it remembers, but only answers from open orders, so the retry becomes a second insert, the
    batch's commit fails on order_client_id_once_per_user and every command in it gets 503 -1000."""
    [trader] = stack.new_traders(1, funds={"BTC": "10"}, prefix="retry-ioc-")
    order = {"symbol": "ETH-BTC", "side": "BUY", "type": "LIMIT", "tif": "IOC", "qty": "1", "price": "0.01"}
    seen: Counter[tuple[int, int | None]] = Counter()
    for attempt in range(5):
        replies = all_at_once(trader, [{**order, "client_order_id": f"ioc-{attempt}"}] * 10)
        seen.update((r.status, r.code) for r in replies)
        assert len({r.body["id"] for r in replies if r.status in (200, 201)}) == 1
    rows = stack.sql(
        "SELECT client_order_id, status FROM trading_order WHERE user_id = %s", (trader.user_id,)
    )
    assert sorted(rows) == [(f"ioc-{i}", "EXPIRED") for i in range(5)]
    assert seen == {(201, None): 5, (200, None): 45}


def test_ten_parallel_cancels_of_one_order_cancel_it_once(stack: ScaledStack) -> None:
    [trader] = stack.new_traders(1, funds={"BTC": "1"}, prefix="cancel-")
    placed = trader.api.place("ETH-BTC", "BUY", "1", "0.05")
    assert placed.status == 201, placed
    path = f"/api/v1/orders/{placed.body['id']}/"
    barrier = threading.Barrier(10)

    def cancel(_: int) -> Reply:
        api = trader.api.clone()
        barrier.wait()
        return api.delete(path)

    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(cancel, range(10)))

    statuses = sorted((r.status, r.code) for r in replies)
    assert statuses == [(200, None)] + [(400, -2011)] * 9, [str(r) for r in replies]
    assert trader.api.balances()["BTC"] == (Decimal(1), Decimal(0))
    rows = stack.sql("SELECT status FROM trading_order WHERE id = %s", (placed.body["id"],))
    assert rows == [("CANCELED",)]
