"""Heartbeats carry each subscription's last seq; a client too far behind is told and closed."""

import asyncio
import functools
import json

import pytest
from channels.testing import WebsocketCommunicator

from marketdata.hub import Frame, Outbox
from marketdata.protocol import CloseCode
from marketdata.transport import transport_attach
from tests.marketdata.helpers import amarket, aplace

pytestmark = [pytest.mark.django_db(transaction=True)]


async def test_a_heartbeat_carries_the_last_seq_of_each_subscription(ws, monkeypatch):
    monkeypatch.setattr("marketdata.hub.HEARTBEAT_SECONDS", 0.05)
    _, alice, _ = await amarket()
    client = await ws()
    await client.subscribe("depth:BTC-USD", "trades:BTC-USD")
    await aplace(alice, "SELL", "50000", "0.5")
    update = await client.recv_until(lambda f: f["event"] == "update")
    beat = await client.recv_until(lambda f: f["event"] == "heartbeat")
    assert beat["seqs"] == {"depth:BTC-USD": update["seq"], "trades:BTC-USD": 0}
    assert beat["time"] > 1_600_000_000_000


class FlowControlledServer:
    """An ASGI server whose `send` waits while the client is not reading (gate closed)."""

    def __init__(self, app):
        self.app = app
        self.reading = asyncio.Event()
        self.reading.set()

    async def __call__(self, scope, receive, send):
        async def gated_send(message):
            if message["type"] == "websocket.send":
                await self.reading.wait()
            await send(message)

        await self.app(scope, receive, gated_send)


async def test_a_client_that_falls_too_far_behind_is_told_and_closed(hub_cleanup, monkeypatch):
    from quantx_site.asgi import application

    monkeypatch.setattr("marketdata.streams.SEND_QUEUE_MAX", 3)
    _, alice, _ = await amarket()
    server = FlowControlledServer(application)
    communicator = WebsocketCommunicator(server, "/ws/v1/")
    assert (await communicator.connect())[0]
    await communicator.send_to(
        text_data=json.dumps({"op": "subscribe", "channels": ["depth:BTC-USD"], "id": 1})
    )
    assert json.loads(await communicator.receive_from())["event"] == "subscribed"
    assert json.loads(await communicator.receive_from())["event"] == "snapshot"
    server.reading.clear()  # the client stops reading
    for i in range(6):  # one frame stuck in send, three waiting, then the queue overflows
        await aplace(alice, "SELL", str(50000 + i), "0.1")
    server.reading.set()
    frame = json.loads(await communicator.receive_from())
    while frame["event"] == "update":  # at most the frame that was already being written
        frame = json.loads(await communicator.receive_from())
    assert (frame["event"], frame["code"]) == ("error", -1302)
    closed = await communicator.receive_output()
    assert closed == {"type": "websocket.close", "code": CloseCode.TOO_SLOW}
    assert type(closed["code"]) is int  # what autobahn accepts (an IntEnum is refused)


class FakeTransport:
    """Twisted's transport, as far as producers go."""

    def __init__(self, producer=None):
        self.producer = producer

    def registerProducer(self, producer, streaming):
        assert streaming and self.producer is None
        self.producer = producer

    def unregisterProducer(self):
        self.producer = None


class PreviousProducer:
    """What daphne leaves on the transport after the upgrade (Twisted's HTTPChannel)."""

    def __init__(self):
        self.calls = []

    def pauseProducing(self):
        self.calls.append("pause")

    def resumeProducing(self):
        self.calls.append("resume")


class Prepared:
    def __init__(self, payload):
        self.payloadHybi = payload


class FakeDaphneProtocol:
    """What marketdata.transport uses of daphne's autobahn protocol."""

    STATE_OPEN = 3
    state = 3

    def __init__(self):
        self.sent = []
        self.factory = self
        self.previous = PreviousProducer()
        self.transport = FakeTransport(self.previous)

    def prepareMessage(self, payload):
        return Prepared(payload)

    def sendPreparedMessage(self, prepared):
        self.sent.append(prepared.payloadHybi.decode())


class FakeDaphneServer:
    async def handle_reply(self, protocol, message):
        raise AssertionError("frames go to the protocol directly")


class SessionWrapper:
    """Channels' SessionMiddleware hands the consumer its own `send`, keeping daphne's as real_send."""

    def __init__(self, real_send):
        self.real_send = real_send

    async def send(self, message):
        await self.real_send(message)


async def test_under_daphne_frames_are_written_directly_until_the_transport_pushes_back():
    protocol = FakeDaphneProtocol()
    send = SessionWrapper(functools.partial(FakeDaphneServer().handle_reply, protocol)).send
    outbox = Outbox(send, limit=2, overflow_text="too slow", overflow_close_code=4008)
    assert transport_attach(send, outbox)
    outbox.push(Frame("a"))
    assert protocol.sent == ["a"]  # at once, no task hop
    producer = protocol.transport.producer
    producer.pauseProducing()  # Twisted: the write buffer passed its high-water mark
    outbox.push(Frame("b"))
    outbox.push(Frame("c"))
    await asyncio.sleep(0.01)
    assert protocol.sent == ["a"]
    producer.resumeProducing()
    await asyncio.sleep(0.01)
    assert protocol.sent == ["a", "b", "c"]
    assert protocol.previous.calls == ["pause", "resume"]  # daphne's own producer still hears it
    outbox.stop()


async def test_a_frame_is_prepared_once_for_every_socket():
    frame = Frame("x")
    protocol = FakeDaphneProtocol()
    assert frame.prepared(protocol) is frame.prepared(protocol)


async def test_without_daphne_frames_go_through_the_asgi_send():
    sent = []

    async def send(message):
        sent.append(message)

    outbox = Outbox(send, limit=2, overflow_text="x", overflow_close_code=4008)
    assert not transport_attach(send, outbox)
    outbox.push(Frame("a"))
    await asyncio.sleep(0.01)
    assert sent == [{"type": "websocket.send", "text": "a"}]
    outbox.stop()
