"""The process hub: one message per batch fans out to local subscriptions; joining before the
snapshot loses nothing and repeats nothing."""

import asyncio

from marketdata.hub import Frame, Hub, Outbox, Subscription


class Recorder:
    def __init__(self):
        self.texts = []

    async def __call__(self, message):
        if message["type"] == "websocket.send":
            self.texts.append(message["text"])


def batch(*frames):
    return {"type": "marketdata.batch", "frames": [list(f) for f in frames]}


async def drained(recorder, n):
    for _ in range(100):
        if len(recorder.texts) >= n:
            return recorder.texts
        await asyncio.sleep(0.001)
    return recorder.texts


async def test_updates_that_arrive_while_the_snapshot_is_read_are_held_and_only_newer_ones_sent():
    hub = Hub(layer=None)
    sent = Recorder()
    outbox = Outbox(sent, limit=10, overflow_text="slow", overflow_close_code=4008)
    sub = Subscription("depth:BTC-USD", "depth:BTC-USD", outbox)
    hub.add(sub)  # joined the stream; the snapshot is being read
    hub.dispatch(batch(("depth:BTC-USD", 5, "u5"), ("depth:BTC-USD", 6, "u6"), ("depth:BTC-USD", 7, "u7")))
    assert await drained(sent, 1) == []  # nothing before the snapshot
    sub.go_live(6, Frame("snapshot@6"))
    assert await drained(sent, 2) == ["snapshot@6", "u7"]  # 5 and 6 are in the snapshot
    hub.dispatch(batch(("depth:BTC-USD", 8, "u8")))
    assert await drained(sent, 3) == ["snapshot@6", "u7", "u8"]
    assert sub.last_seq == 8
    outbox.stop()


async def test_one_message_reaches_every_local_subscriber_of_its_keys_and_no_one_else():
    hub = Hub(layer=None)
    recorders = [Recorder() for _ in range(3)]
    outboxes = [Outbox(r, limit=10, overflow_text="x", overflow_close_code=4008) for r in recorders]
    for outbox, key in zip(outboxes, ("depth:BTC-USD", "depth:BTC-USD", "depth:ETH-USD"), strict=True):
        sub = Subscription(key, key, outbox)
        hub.add(sub)
        sub.go_live(0, Frame("snap"))
    hub.dispatch(batch(("depth:BTC-USD", 1, "btc"), ("orders#7", 1, "private")))
    assert [await drained(r, 2) for r in recorders] == [["snap", "btc"], ["snap", "btc"], ["snap"]]
    for outbox in outboxes:
        outbox.stop()


async def test_a_subscription_that_buffers_too_much_closes_its_socket_as_too_slow(monkeypatch):
    monkeypatch.setattr("marketdata.hub.SEND_QUEUE_MAX", 2)
    hub = Hub(layer=None)
    sent = []

    async def send(message):
        sent.append(message)

    outbox = Outbox(send, limit=10, overflow_text="too slow", overflow_close_code=4008)
    hub.add(Subscription("k", "k", outbox))
    hub.dispatch(batch(("k", 1, "a"), ("k", 2, "b"), ("k", 3, "c")))
    await asyncio.sleep(0.01)
    assert sent == [{"type": "websocket.send", "text": "too slow"}, {"type": "websocket.close", "code": 4008}]
