"""Single writer at every commit: a worker that a newer one replaced can never commit again."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection

from engine.client.layers import BatchInMemoryChannelLayer
from engine.worker.batch import BatchRunner
from engine.worker.lock import FencedOut, fence_acquire, fence_check
from engine.worker.pipeline import EngineRuntime
from engine.worker.recovery import state_load
from tests.engine.helpers import market_with_traders
from trading.models import Order

REPLY_TO = "engine-reply.fence"


def order(user, coid):
    command = {
        "op": "place", "user_id": user.pk, "symbol": "BTC-USD", "side": "BUY", "order_type": "LIMIT",
        "price": "40000", "qty": "0.1", "client_order_id": coid,
    }  # fmt: skip
    return {"type": "engine.command", "reply_to": REPLY_TO, "rid": coid, "command": command}


@pytest.mark.django_db
def test_a_batch_of_a_fenced_out_worker_is_refused_at_commit_and_writes_nothing():
    _, alice, _ = market_with_traders()
    runner = BatchRunner(state_load(), epoch=fence_acquire())
    applied = runner.apply([order(alice, "one")])
    assert not isinstance(applied, int)
    fence_acquire()  # a newer worker starts
    with pytest.raises(FencedOut):
        runner.commit(applied)
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_fenced_out_pipeline_answers_not_committed_and_stops():
    _, alice, _ = market_with_traders()

    async def scenario():
        layer = BatchInMemoryChannelLayer()
        runtime = EngineRuntime(layer)
        await runtime.started.wait()
        await sync_to_async(fence_acquire, thread_sensitive=True)()  # a newer worker starts
        await runtime.submit_many([order(alice, "one")])
        reply = (await asyncio.wait_for(layer.receive_many(REPLY_TO, 1), 10))[0]["reply"]
        await asyncio.wait_for(asyncio.shield(runtime.task), 10)
        await runtime.submit_many([order(alice, "two")])
        later = (await asyncio.wait_for(layer.receive_many(REPLY_TO, 1), 10))[0]["reply"]
        return reply, later, runtime.failed

    reply, later, failed = async_to_sync(scenario)()
    assert reply == {"ok": False, "reason": "WORKER_INTERNAL", "msg": "The command was not committed; retry."}
    assert later["reason"] == "WORKER_INTERNAL" and "newer engine worker" in later["msg"]
    assert "newer engine worker" in failed
    assert not Order.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_worker_waits_for_the_batch_transaction_of_the_old_one():
    """PostgreSQL: the epoch bump of a starting worker blocks while a batch transaction of the old
    writer (which row-locked the fence) is still open, so its rebuild reads what that batch wrote."""
    if connection.vendor != "postgresql":
        pytest.skip("the row-lock wait is PostgreSQL's behaviour (SQLite has one writer anyway)")
    import psycopg

    epoch = fence_acquire()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as old_writer, psycopg.connect(**params, autocommit=True) as new_worker:
        old_writer.execute(
            "UPDATE engine_writerfence SET epoch = epoch WHERE id = 1 AND epoch = %s", (epoch,)
        )
        new_worker.execute("SET lock_timeout = '300ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            new_worker.execute("UPDATE engine_writerfence SET epoch = epoch + 1 WHERE id = 1")
        old_writer.commit()
        new_worker.execute("UPDATE engine_writerfence SET epoch = epoch + 1 WHERE id = 1")
    with pytest.raises(FencedOut):
        fence_check(epoch)
