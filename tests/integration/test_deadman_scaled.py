"""The dead-man's switch on the scaled stack: real daphne processes, real gunicorn, one real
`runworker engine`, PostgreSQL and Redis (tests/integration/conftest.py).

- Cancel on disconnect counts a user's sockets across two daphne processes: closing one socket, or
  the last one followed by a new one within the grace, cancels nothing; the last one gone cancels
  the user's open orders after the grace (default 5 s), reason CANCEL_ON_DISCONNECT, and the user's
  other socket (on the other process) gets the execution reports.
- A daphne killed with -9 leaves its socket's lease unrenewed: it ends after the lease time and the
  grace follows (not sooner).
- A cancel-after countdown survives a kill -9 of the worker: one that ran out while it was down
  fires at start, a disarmed one never fires, a pending one fires at its deadline.
"""

import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import Iterator

import pytest
import websockets

from tests.integration.conftest import READY_TIMEOUT, Api, ScaledStack, Service, StackError, free_port

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]

GRACE = 5.0  # the default QX_CANCEL_ON_DISCONNECT_GRACE_MS
LEASE = 15.0  # the default QX_CANCEL_ON_DISCONNECT_LEASE_MS
TIMEOUT = 15


@contextlib.contextmanager
def another_daphne(stack: ScaledStack) -> Iterator[tuple[str, Service]]:
    """A second daphne process of the stack (its own hub, its own leases), stopped at the end."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "quantx_site.asgi:application",
    ]
    service = stack._spawn("daphne-2", argv)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            with contextlib.suppress(OSError):
                if Api(url, timeout=2).get("/api/v1/instruments/").status == 200:
                    break
            if not service.alive() or time.monotonic() > deadline:
                raise StackError(f"daphne-2 did not start:\n{service.tail()}")
            time.sleep(0.1)
        yield url, service
    finally:
        service.stop()


async def socket(url: str, token: str, *, cod: bool) -> websockets.ClientConnection:
    ws = await websockets.connect(f"{url.replace('http', 'ws')}/ws/v1/")
    frame = {"op": "auth", "token": token, "id": "auth", **({"cancel_on_disconnect": True} if cod else {})}
    await ws.send(json.dumps(frame))
    answer = await next_frame(ws, lambda f: f.get("id") == "auth")
    assert answer["event"] == "authenticated" and answer.get("cancel_on_disconnect") is (
        True if cod else None
    )
    return ws


async def next_frame(ws: websockets.ClientConnection, predicate, timeout: float = TIMEOUT) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if predicate(frame):
                return frame


def open_orders(stack: ScaledStack, user_id: int) -> list[tuple[int, str, str]]:
    return stack.sql(
        "SELECT id, status, reason FROM trading_order WHERE user_id = %s ORDER BY id", (user_id,)
    )  # type: ignore[return-value]


async def test_cancel_on_disconnect_across_two_daphne_processes(stack: ScaledStack) -> None:
    [trader] = stack.new_traders(1, funds={"USD": "10000"}, prefix="cod-")
    ids = [trader.api.place("BTC-USD", "BUY", "0.01", price).body["id"] for price in ("1000.00", "1001.00")]
    token = trader.api.token
    assert token is not None
    url_a = stack.url("daphne")
    with another_daphne(stack) as (url_b, _):
        watcher = await socket(url_b, token, cod=False)
        await watcher.send(json.dumps({"op": "subscribe", "channels": ["orders"], "id": "sub"}))
        snapshot = await next_frame(watcher, lambda f: f.get("event") == "snapshot")
        assert sorted(o["order_id"] for o in snapshot["data"]) == ids
        first, second = await socket(url_a, token, cod=True), await socket(url_b, token, cod=True)
        await first.close()  # the user still has a socket (on the other process)
        await second.close()  # the last one: the grace starts...
        third = await socket(url_a, token, cod=True)  # ... and a new socket within it disarms it
        await asyncio.sleep(GRACE + 1.5)
        assert [row[1] for row in open_orders(stack, trader.user_id)] == ["NEW", "NEW"]
        await third.send(json.dumps({"op": "ping"}))
        closed_at = time.monotonic()
        await third.close()
        reports = [
            (await next_frame(watcher, lambda f: f.get("event") == "update", timeout=GRACE + TIMEOUT))["data"]
            for _ in ids
        ]
        waited = time.monotonic() - closed_at
        await watcher.close()
    assert sorted((r["order_id"], r["status"], r["reason"]) for r in reports) == [
        (order_id, "CANCELED", "CANCEL_ON_DISCONNECT") for order_id in ids
    ]
    assert GRACE - 0.5 <= waited < GRACE + 5
    assert open_orders(stack, trader.user_id) == [(i, "CANCELED", "CANCEL_ON_DISCONNECT") for i in ids]
    listed = trader.api.get("/api/v1/orders/cancel-after/").body
    assert (listed["timers"], listed["cancel_on_disconnect_sockets"]) == ([], 0)


def test_a_cancel_after_timer_survives_a_worker_restart(stack: ScaledStack) -> None:
    expiring, disarmed, pending = stack.new_traders(3, funds={"USD": "10000"}, prefix="ca-")
    orders = {
        t.username: t.api.place("BTC-USD", "BUY", "0.01", "1000.00").body["id"]
        for t in (expiring, disarmed, pending)
    }
    armed_at = time.monotonic()
    assert expiring.api.post("/api/v1/orders/cancel-after/", {"timeout_ms": 2000}).status == 200
    assert disarmed.api.post("/api/v1/orders/cancel-after/", {"timeout_ms": 2000}).status == 200
    assert disarmed.api.post("/api/v1/orders/cancel-after/", {"timeout_ms": 0}).status == 200
    armed = pending.api.post("/api/v1/orders/cancel-after/", {"timeout_ms": 10_000, "symbol": "BTC-USD"})
    assert armed.status == 200 and armed.body["symbol"] == "BTC-USD"
    stack.kill_worker()  # kill -9, before any deadline
    assert time.monotonic() - armed_at < 2.0, "too slow to kill the worker before the first deadline"
    time.sleep(max(0.0, armed_at + 2.5 - time.monotonic()))
    status = {
        name: stack.sql("SELECT status FROM trading_order WHERE id = %s", (oid,))[0][0]
        for name, oid in orders.items()
    }
    assert set(status.values()) == {"NEW"}  # nothing fires while no worker runs
    stack.start_worker()
    started = time.monotonic()

    def wait_canceled(order_id: int, timeout: float) -> tuple[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = stack.sql("SELECT status, reason FROM trading_order WHERE id = %s", (order_id,))[0]
            if row[0] == "CANCELED":
                return row
            time.sleep(0.1)
        raise AssertionError(f"order {order_id} still open after {timeout} s:\n{stack.log_tails()}")

    assert wait_canceled(orders[expiring.username], 5) == ("CANCELED", "CANCEL_AFTER")  # ran out while down
    assert time.monotonic() - started < 5
    if time.monotonic() < armed_at + 9.5:
        assert (
            stack.sql("SELECT status FROM trading_order WHERE id = %s", (orders[pending.username],))[0][0]
            == "NEW"
        )
    assert wait_canceled(orders[pending.username], armed_at + 16 - time.monotonic()) == (
        "CANCELED",
        "CANCEL_AFTER",
    )
    assert time.monotonic() - armed_at >= 10.0 - 0.5  # at its deadline, not at the restart
    assert (
        stack.sql("SELECT status FROM trading_order WHERE id = %s", (orders[disarmed.username],))[0][0]
        == "NEW"
    )
    assert pending.api.get("/api/v1/orders/cancel-after/").body["timers"] == []
    verification = stack.verify_ledger()
    assert verification.ok, verification.output


async def test_a_crashed_web_process_stops_renewing_and_its_sockets_count_as_gone(stack: ScaledStack) -> None:
    """kill -9 of the daphne holding the user's only cancel-on-disconnect socket: nothing closes it,
    but its lease is no longer renewed; it ends after the lease time (15 s) and the grace (5 s)
    follows. Not before: a lease that is renewed in time never fires."""
    [trader] = stack.new_traders(1, funds={"USD": "10000"}, prefix="crash-")
    order_id = trader.api.place("BTC-USD", "BUY", "0.01", "1000.00").body["id"]
    token = trader.api.token
    assert token is not None
    watcher = await socket(stack.url("daphne"), token, cod=False)
    await watcher.send(json.dumps({"op": "subscribe", "channels": ["orders"], "id": "sub"}))
    await next_frame(watcher, lambda f: f.get("event") == "snapshot")
    with another_daphne(stack) as (url_b, daphne_b):
        doomed = await socket(url_b, token, cod=True)
        daphne_b.send(signal.SIGKILL)
        killed_at = time.monotonic()
        assert daphne_b.wait(5) is not None
    report = (await next_frame(watcher, lambda f: f.get("event") == "update", timeout=LEASE + GRACE + 10))[
        "data"
    ]
    waited = time.monotonic() - killed_at
    await watcher.close()
    with contextlib.suppress(Exception):
        await doomed.close()
    assert (report["order_id"], report["status"], report["reason"]) == (
        order_id,
        "CANCELED",
        "CANCEL_ON_DISCONNECT",
    )
    # renewed every LEASE / 3: its lease ended 2/3 to 3/3 of a lease time after the crash
    assert 2 * LEASE / 3 + GRACE - 1 <= waited < LEASE + GRACE + 5
