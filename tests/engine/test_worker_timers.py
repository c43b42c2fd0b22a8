"""The dead-man's switch in the worker: cancel-after timers and cancel-on-disconnect leases fire on
the worker's own clock, cancel exactly what is in scope, and survive a restart.

Each test drives real EngineRuntimes (engine.worker.pipeline) over the in-memory channel layer; a
"restart" is a new runtime, which rebuilds its state from the database as a restarted worker does.
Timeouts are a few hundred milliseconds (the engine takes any 0..600000; the API's minimum is 1 s).
"""

import asyncio
import contextlib
import itertools
import time
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from engine.client.layers import BatchInMemoryChannelLayer
from engine.models import CancelTimer
from engine.worker.pipeline import EngineRuntime
from engine.worker.recovery import state_load
from tests.engine.helpers import market_with_traders
from tests.factories import make_instrument
from trading.models import Order

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

REPLY_TO = "engine-reply.timers"
_rids = itertools.count(1)


class Engine:
    """One running worker (a runtime in this event loop) and a client of it."""

    def __init__(self) -> None:
        self.layer = BatchInMemoryChannelLayer()
        self.runtime = EngineRuntime(self.layer)

    async def __aenter__(self) -> "Engine":
        await self.runtime.started.wait()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stops it as a kill would: nothing after this point is applied."""
        self.runtime.task.cancel()
        with contextlib.suppress(BaseException):
            await self.runtime.task

    async def __call__(self, op: str, **fields: object) -> dict:
        rid = next(_rids)
        message = {
            "type": "engine.command",
            "reply_to": REPLY_TO,
            "rid": rid,
            "command": {"op": op, **fields},
        }
        await self.runtime.submit_many([message])
        while True:
            for reply in await asyncio.wait_for(self.layer.receive_many(REPLY_TO, 100), 10):
                if reply["rid"] == rid:
                    return reply["reply"]

    async def place(self, user, side="BUY", price="40000", symbol="BTC-USD", **extra) -> int:
        reply = await self(
            "place", user_id=user.pk, symbol=symbol, side=side, order_type=extra.pop("order_type", "LIMIT"),
            price=price, qty="0.1", client_order_id=f"c{next(_rids)}", **extra,
        )  # fmt: skip
        assert reply["ok"] and reply["order"]["status"] == "NEW", reply
        return reply["order"]["id"]


def run(scenario):
    return async_to_sync(scenario)()


@sync_to_async
def statuses(*order_ids: int) -> dict[int, tuple[str, str]]:
    return {o.id: (o.status, o.reason) for o in Order.objects.filter(id__in=order_ids)}


async def until_canceled(order_id: int, timeout: float = 5.0) -> tuple[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = (await statuses(order_id))[order_id]
        if status[0] == "CANCELED":
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"order {order_id} was not canceled within {timeout} s")


@pytest.fixture
def fast_grace(settings):
    settings.CANCEL_ON_DISCONNECT_GRACE_MS = 300
    settings.CANCEL_ON_DISCONNECT_LEASE_MS = 600


# ---------------------------------------------------------------------------- cancel after


def test_a_countdown_on_one_symbol_cancels_that_users_orders_there_and_nothing_else():
    _, alice, bob = market_with_traders()
    make_instrument("ETH-USD")

    async def scenario():
        async with Engine() as engine:
            limit = await engine.place(alice)
            stop = await engine.place(alice, side="SELL", order_type="STOP_LOSS_LIMIT", price="30000",
                                      stop_price="30000.01")  # fmt: skip
            eth = await engine.place(alice, symbol="ETH-USD", price="2000")
            bobs = await engine.place(bob)
            armed = await engine("cancel_after", user_id=alice.pk, timeout_ms=300, symbol="BTC-USD")
            assert armed["deadline_ms"] == armed["now_ms"] + 300 and armed["symbol"] == "BTC-USD"
            assert (await statuses(limit))[limit][0] == "NEW"  # not before its deadline
            assert await until_canceled(limit) == ("CANCELED", "CANCEL_AFTER")
            await asyncio.sleep(0.3)
            return await statuses(limit, stop, eth, bobs), (limit, stop, eth, bobs)

    found, (_, stop, eth, bobs) = run(scenario)
    assert found[stop] == ("CANCELED", "CANCEL_AFTER")  # a waiting stop too
    assert found[eth] == ("NEW", "") and found[bobs] == ("NEW", "")
    row = CancelTimer.objects.get(user=alice)
    assert (row.kind, row.symbol, row.deadline_ms) == ("CANCEL_AFTER", "BTC-USD", None)  # fired: disarmed
    state = state_load()
    assert state.ex.check_invariants() == []
    assert state.balance(alice.pk, "USD") == (Decimal(100000) - 200, Decimal(200))  # only ETH holds


def test_re_arming_pushes_the_deadline_back_and_zero_disarms():
    _, alice, _ = market_with_traders()

    async def scenario():
        async with Engine() as engine:
            order = await engine.place(alice)
            await engine("cancel_after", user_id=alice.pk, timeout_ms=300)
            rearmed = await engine("cancel_after", user_id=alice.pk, timeout_ms=60_000)
            await asyncio.sleep(0.6)
            assert (await statuses(order))[order] == ("NEW", "")
            disarmed = await engine("cancel_after", user_id=alice.pk, timeout_ms=0)
            return rearmed, disarmed

    rearmed, disarmed = run(scenario)
    assert rearmed["deadline_ms"] - rearmed["now_ms"] == 60_000 and rearmed["symbol"] is None
    assert (disarmed["deadline_ms"], disarmed["timeout_ms"]) == (None, 0)
    assert CancelTimer.objects.get(user=alice).deadline_ms is None


def test_the_engine_refuses_a_timeout_out_of_range_or_an_unknown_symbol():
    _, alice, _ = market_with_traders()

    async def scenario():
        async with Engine() as engine:
            return [
                await engine("cancel_after", user_id=alice.pk, timeout_ms=600_001),
                await engine("cancel_after", user_id=alice.pk, timeout_ms=-1),
                await engine("cancel_after", user_id=alice.pk, timeout_ms="1000"),
                await engine("cancel_after", user_id=alice.pk, timeout_ms=1000, symbol="DOGE-USD"),
                await engine("cod_renew", leases=[["x", "not a user id"]]),
            ]

    reasons = [r["reason"] for r in run(scenario)]
    assert reasons == ["WORKER_BAD_COMMAND"] * 3 + ["WORKER_UNKNOWN_SYMBOL", "WORKER_BAD_COMMAND"]
    assert not CancelTimer.objects.exists()


def test_a_restarted_worker_fires_a_timer_that_ran_out_while_it_was_down_and_not_a_disarmed_one():
    _, alice, bob = market_with_traders()

    async def first_worker():
        async with Engine() as engine:
            orders = (await engine.place(alice), await engine.place(bob))
            await engine("cancel_after", user_id=alice.pk, timeout_ms=300)
            await engine("cancel_after", user_id=bob.pk, timeout_ms=300)
            await engine("cancel_after", user_id=bob.pk, timeout_ms=0)
            await engine("cancel_after", user_id=bob.pk, timeout_ms=60_000, symbol="BTC-USD")
        return orders  # the worker is gone before alice's deadline

    alices, bobs = run(first_worker)
    time.sleep(0.5)  # the deadline passes while no worker runs: nothing fires
    assert Order.objects.get(id=alices).status == "NEW"
    restarted = state_load()
    assert set(restarted.timers.after) == {(alice.pk, ""), (bob.pk, "BTC-USD")}  # armed stays armed

    async def second_worker():
        async with Engine():
            assert await until_canceled(alices) == ("CANCELED", "CANCEL_AFTER")
            await asyncio.sleep(0.4)
            return await statuses(bobs)

    assert run(second_worker)[bobs] == ("NEW", "")  # bob's disarmed all-symbols timer never fires


# ---------------------------------------------------------------------------- cancel on disconnect


def test_the_last_socket_closing_starts_the_grace_and_a_new_socket_within_it_disarms(settings):
    settings.CANCEL_ON_DISCONNECT_GRACE_MS = 300
    settings.CANCEL_ON_DISCONNECT_LEASE_MS = 10_000  # no lease expires during this test
    _, alice, bob = market_with_traders()

    async def scenario():
        async with Engine() as engine:
            order, bobs = await engine.place(alice), await engine.place(bob)
            await engine("cod_open", user_id=bob.pk, lease="b1")
            opened = [await engine("cod_open", user_id=alice.pk, lease=lease) for lease in ("a1", "a2")]
            closed = await engine("cod_close", user_id=alice.pk, lease="a1")
            assert closed["sockets"] == 1 and closed["deadline_ms"] is None
            last = await engine("cod_close", user_id=alice.pk, lease="a2")
            assert last["sockets"] == 0 and last["deadline_ms"] is not None
            await engine("cod_open", user_id=alice.pk, lease="a3")  # within the grace: disarmed
            await asyncio.sleep(0.8)
            assert (await statuses(order))[order] == ("NEW", "")
            await engine("cod_close", user_id=alice.pk, lease="a3")
            canceled = await until_canceled(order)
            return opened, canceled, await statuses(bobs), (order, bobs)

    opened, canceled, bob_status, _ = run(scenario)
    assert [o["sockets"] for o in opened] == [1, 2] and opened[0]["grace_ms"] == 300
    assert canceled == ("CANCELED", "CANCEL_ON_DISCONNECT")
    assert list(bob_status.values()) == [("NEW", "")]  # bob's socket is still there
    assert CancelTimer.objects.get(user=alice).deadline_ms is None


def test_a_lease_its_web_process_stops_renewing_ends_like_a_closed_socket(fast_grace):
    _, alice, _ = market_with_traders()

    async def scenario():
        async with Engine() as engine:
            order = await engine.place(alice)
            await engine("cod_open", user_id=alice.pk, lease="a1")
            for _ in range(6):  # renewed for 1.2 s, twice a lease time: still live
                await asyncio.sleep(0.2)
                await engine("cod_renew", leases=[["a1", alice.pk]])
            assert (await statuses(order))[order] == ("NEW", "")
            started = time.monotonic()
            status = await until_canceled(order)  # no more renewals (the web process died)
            return status, time.monotonic() - started

    status, seconds = run(scenario)
    assert status == ("CANCELED", "CANCEL_ON_DISCONNECT")
    assert 0.6 + 0.3 - 0.25 <= seconds < 3  # a lease time, then the grace


def test_after_a_restart_live_sockets_are_renewed_back_and_vanished_ones_fire(fast_grace):
    _, alice, bob = market_with_traders()

    async def first_worker():
        async with Engine() as engine:
            orders = (await engine.place(alice), await engine.place(bob))
            await engine("cod_open", user_id=alice.pk, lease="a1")
            await engine("cod_open", user_id=bob.pk, lease="b1")
        return orders

    alices, bobs = run(first_worker)
    assert set(CancelTimer.objects.values_list("user_id", "sockets")) == {(alice.pk, 1), (bob.pk, 1)}

    async def second_worker():
        async with Engine() as engine:
            for _ in range(6):  # alice's web process is alive and renews; bob's socket closed meanwhile
                await engine("cod_renew", leases=[["a1", alice.pk]])
                await asyncio.sleep(0.2)
            canceled = await until_canceled(bobs)
            return canceled, await statuses(alices)

    canceled, alice_status = run(second_worker)
    assert canceled == ("CANCELED", "CANCEL_ON_DISCONNECT")
    assert alice_status[alices] == ("NEW", "")


def test_a_late_renewal_within_the_grace_counts_the_socket_again(fast_grace):
    """A stalled web process (or worker): the lease ended, the grace started; the renewal that comes
    within the grace re-counts the live socket, and nothing fires."""
    _, alice, _ = market_with_traders()

    @sync_to_async
    def grace_running() -> bool:
        return CancelTimer.objects.filter(user=alice, sockets=0, deadline_ms__isnull=False).exists()

    async def scenario():
        async with Engine() as engine:
            order = await engine.place(alice)
            await engine("cod_open", user_id=alice.pk, lease="a1")
            deadline = time.monotonic() + 3
            while not await grace_running():
                assert time.monotonic() < deadline, "the lease never ended"
                await asyncio.sleep(0.02)
            renewed = await engine("cod_renew", leases=[["a1", alice.pk]])
            await asyncio.sleep(0.5)  # past the grace
            return renewed, await statuses(order), order

    renewed, found, order = run(scenario)
    assert renewed == {"ok": True, "renewed": 1}
    assert found[order] == ("NEW", "")
    row = CancelTimer.objects.get(user=alice)
    assert (row.sockets, row.deadline_ms) == (1, None)
