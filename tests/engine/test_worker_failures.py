"""The worker's pipeline never dies on one bad message, and never replies for what it did not commit.

These drive a real EngineRuntime (engine.worker.pipeline) over the in-memory channel layer:
commands are queued in batches exactly as the intake stage queues them, and the replies are read
from the reply channel as the client reads them.
"""

import asyncio

import pytest
from asgiref.sync import async_to_sync

from engine.client.layers import BatchInMemoryChannelLayer
from engine.worker import batch as batch_module
from engine.worker import handlers
from engine.worker.pipeline import EngineRuntime
from engine.worker.recovery import state_load
from tests.engine.helpers import market_with_traders
from trading.models import Order

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

REPLY_TO = "engine-reply.test"


def order(user, coid, price="40000", *, rid=None, **extra):
    command = {
        "op": "place", "user_id": user.pk, "symbol": "BTC-USD", "side": "BUY", "order_type": "LIMIT",
        "price": price, "qty": "0.1", "client_order_id": coid, **extra,
    }  # fmt: skip
    return {"type": "engine.command", "reply_to": REPLY_TO, "rid": rid or coid, "command": command}


def run_batches(*batches, max_batch=None):
    """Queues each batch as one intake round (all before the pipeline starts), returns the replies by rid."""

    async def go():
        layer = BatchInMemoryChannelLayer()
        runtime = EngineRuntime(layer)
        if max_batch is not None:
            runtime.max_batch = max_batch
        await runtime.started.wait()
        expected = len({m["rid"] for b in batches for m in b})
        for messages in batches:
            await runtime.submit_many(messages)
        replies = {}
        while len(replies) < expected:
            for message in await asyncio.wait_for(layer.receive_many(REPLY_TO, 100), 10):
                replies[message["rid"]] = message["reply"]
        runtime.task.cancel()
        return replies, runtime.stats

    return async_to_sync(go)()


def test_a_command_that_crashes_is_refused_alone_and_the_rest_of_the_batch_commits(monkeypatch):
    _, alice, _ = market_with_traders()

    def explode(state, cmd):
        state.ex.deposit(alice.pk, "USD", 10**12)  # corrupts the in-memory state before failing
        raise RuntimeError("bug")

    monkeypatch.setitem(handlers.HANDLERS, "explode", explode)
    crash = {"type": "engine.command", "reply_to": REPLY_TO, "rid": "x", "command": {"op": "explode"}}
    replies, stats = run_batches([order(alice, "one"), crash, order(alice, "two")])
    assert [replies[k]["ok"] for k in ("one", "x", "two")] == [True, False, True]
    assert replies["x"]["reason"] == "WORKER_INTERNAL"
    assert stats == {"batches": 1, "commands": 3}
    assert set(Order.objects.values_list("client_order_id", flat=True)) == {"one", "two"}
    # the corrupting deposit was thrown away with the rebuilt state
    state = state_load()
    assert state.ex.check_invariants() == []
    assert state.balance(alice.pk, "USD")[0] == 100000 - 2 * 4000


def test_a_failed_commit_answers_its_batch_not_committed_and_the_next_batch_commits_after_a_rebuild(
    monkeypatch,
):
    """Batch N's commit fails while N+1 is already applied in memory: N is answered "not committed"
    and writes nothing; N+1 (nobody was answered for it) is applied again and committed."""
    _, alice, _ = market_with_traders()
    steps = []
    real_apply, real_write = batch_module.BatchRunner.apply, batch_module.batch_write

    def apply(runner, messages, poisoned=frozenset()):
        steps.append(("apply", [m["rid"] for m in messages]))
        return real_apply(runner, messages, poisoned)

    def write(rows, *, epoch):
        steps.append(("commit", len(steps)))
        if sum(1 for s in steps if s[0] == "commit") == 1:
            raise RuntimeError("database went away")
        real_write(rows, epoch=epoch)

    monkeypatch.setattr(batch_module.BatchRunner, "apply", apply)
    monkeypatch.setattr(batch_module, "batch_write", write)
    n = [order(alice, "n1"), order(alice, "n2", price="39000")]
    n_plus_1 = [order(alice, "m1", price="38000"), order(alice, "n1", price="37000", rid="n1-again")]
    replies, stats = run_batches(n, n_plus_1, max_batch=2)

    assert [s[0] for s in steps][:3] == ["apply", "apply", "commit"]  # N+1 was in memory when N failed
    assert (
        replies["n1"]
        == replies["n2"]
        == {"ok": False, "reason": "WORKER_INTERNAL", "msg": "The command was not committed; retry."}
    )
    assert replies["m1"]["ok"] and replies["m1"]["order"]["status"] == "NEW"
    # N+1's n1 was applied again after the rebuild: a new order at its own price, not a duplicate of N's
    again = replies["n1-again"]
    assert again["ok"] and not again["duplicate"] and again["order"]["price"] == "37000"
    assert stats == {"batches": 1, "commands": 2}
    assert dict(Order.objects.values_list("client_order_id", "price")) == {"m1": 38000, "n1": 37000}
    state = state_load()
    assert state.ex.check_invariants() == []
    assert state.balance(alice.pk, "USD")[1] == 3800 + 3700  # locked: exactly the two orders' holds


def test_a_retry_of_an_uncommitted_order_is_answered_from_memory_not_placed_twice():
    """N+1 carries the client order id of an order N placed and closed: the database cannot know it
    yet, the pipeline must."""
    _, alice, bob = market_with_traders()
    ask = order(bob, "ask", side="SELL")
    ioc = order(alice, "ioc", tif="IOC")
    retry = order(alice, "ioc", price="41000", rid="retry", tif="IOC")
    replies, _ = run_batches([ask, ioc], [retry], max_batch=2)
    assert replies["ioc"]["order"]["status"] == "FILLED" and not replies["ioc"]["duplicate"]
    assert replies["retry"]["duplicate"] is True
    assert replies["retry"]["order"] == {**replies["ioc"]["order"], "fills": []}
    assert Order.objects.filter(client_order_id="ioc").count() == 1


def test_a_burst_of_commands_is_committed_in_batches_larger_than_one():
    _, alice, _ = market_with_traders()
    burst = [order(alice, f"b{i}", price=str(30000 + i), qty="0.01") for i in range(40)]
    replies, stats = run_batches(burst)
    assert all(r["ok"] for r in replies.values())
    assert stats["commands"] == 40 and stats["batches"] < 40
    assert Order.objects.count() == 40
