"""The channel layers' batch extension (engine.client.layers), on real Redis and in memory."""

import asyncio
import uuid

import pytest

from engine.client.layers import BatchInMemoryChannelLayer, BatchRedisChannelLayer


def redis_layer(url: str, **config) -> BatchRedisChannelLayer:
    return BatchRedisChannelLayer(hosts=[{"address": url, "socket_timeout": None}], **config)


def layers(redis_url: str):
    return [redis_layer(redis_url, prefix=f"test-{uuid.uuid4().hex[:8]}"), BatchInMemoryChannelLayer()]


@pytest.mark.redis
async def test_a_batch_sent_in_one_call_is_received_in_order_in_one_call(redis_url):
    for layer in layers(redis_url):
        items = [("cmds", {"type": "x", "n": n}) for n in range(50)]
        assert await layer.send_many(items) == []
        got = await layer.receive_many("cmds", 100)
        assert [m["n"] for m in got] == list(range(50))
        await layer.send_many(items[:5])
        assert [m["n"] for m in await layer.receive_many("cmds", 3)] == [0, 1, 2]  # at most `limit`
        assert [m["n"] for m in await layer.receive_many("cmds", 3)] == [3, 4]


@pytest.mark.redis
async def test_messages_to_a_full_channel_are_refused_by_index_and_the_rest_delivered(redis_url):
    for layer in (
        redis_layer(redis_url, prefix=f"t-{uuid.uuid4().hex[:8]}", capacity=2),
        BatchInMemoryChannelLayer(capacity=2),
    ):
        refused = await layer.send_many(
            [("full", {"type": "x", "n": n}) for n in range(3)] + [("other", {"type": "x", "n": 9})]
        )
        assert refused == [2]
        assert [m["n"] for m in await layer.receive_many("full", 10)] == [0, 1]
        assert [m["n"] for m in await layer.receive_many("other", 10)] == [9]


@pytest.mark.redis
async def test_receive_many_waits_for_the_first_message_and_a_plain_send_interoperates(redis_url):
    for layer in layers(redis_url):
        waiting = asyncio.ensure_future(layer.receive_many("late", 10))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await layer.send("late", {"type": "x", "n": 1})  # channels' own send
        assert [m["n"] for m in await asyncio.wait_for(waiting, 5)] == [1]
