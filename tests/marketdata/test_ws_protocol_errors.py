"""Bad client frames get an error in the protocol's shape and keep the connection; abuse closes it."""

import json

import pytest

from marketdata.protocol import MAX_ERRORS, MAX_FRAME_BYTES, CloseCode
from tests.marketdata.helpers import amarket

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
async def client(ws):
    await amarket()
    return await ws()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", -1101),
        ("[1, 2]", -1101),
        ('{"op": "subscribe", "channels": ["depth:BTC-USD"], "id": NaN}', -1101),
        ('{"channels": []}', -1102),
        ('{"op": "dance"}', -1100),
        ('{"op": 7}', -1100),
        ('{"op": "subscribe"}', -1102),
        ('{"op": "subscribe", "channels": "depth:BTC-USD"}', -1100),
        ('{"op": "subscribe", "channels": []}', -1100),
        ('{"op": "subscribe", "channels": ["weather:BTC-USD"]}', -1100),
        ('{"op": "subscribe", "channels": ["depth:DOGE-USD"]}', -1121),
        ('{"op": "subscribe", "channels": ["candles:BTC-USD:2m"]}', -1120),
        ('{"op": "subscribe", "channels": ["candles:BTC-USD"]}', -1120),
        ('{"op": "subscribe", "channels": ["depth:BTC-USD"], "extra": 1}', -1104),
        ('{"op": "ping", "id": {"a": 1}}', -1100),
        ('{"op": "auth"}', -1102),
    ],
)
async def test_a_bad_frame_is_answered_with_a_coded_error_and_the_connection_is_kept(client, frame, code):
    await client.send(frame)
    error = await client.recv()
    assert error["event"] == "error"
    assert error["code"] == code, error
    assert isinstance(error["msg"], str) and error["msg"]
    pong = await client.request({"op": "ping", "id": 99})
    assert pong["event"] == "pong"


async def test_an_error_echoes_the_request_id(client):
    error = await client.request({"op": "subscribe", "channels": ["depth:NOPE-USD"], "id": 42})
    assert (error["event"], error["id"], error["code"]) == ("error", 42, -1121)


async def test_an_oversize_frame_is_refused(client):
    await client.send(json.dumps({"op": "ping", "pad": "x" * MAX_FRAME_BYTES}))
    error = await client.recv()
    assert error["code"] == -1301


async def test_a_binary_frame_is_refused(client):
    await client.ws.send_to(bytes_data=b"\x00\x01")
    assert (await client.recv())["code"] == -1101


async def test_a_refused_subscription_subscribes_nothing(client):
    error = await client.request(
        {"op": "subscribe", "channels": ["depth:BTC-USD", "depth:NOPE-USD"], "id": 1}
    )
    assert error["code"] == -1121
    assert "depth:BTC-USD" in await client.subscribe("depth:BTC-USD", request_id=2)


async def test_repeated_abuse_closes_the_connection(client):
    for _ in range(MAX_ERRORS - 1):
        await client.send("nope")
        assert (await client.recv())["event"] == "error"
    await client.send("nope")
    last = await client.recv()
    assert last["code"] == -1303
    closed = await client.ws.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": CloseCode.ABUSE}
    assert type(closed["code"]) is int  # autobahn refuses an IntEnum: the close never left daphne


async def test_deeply_nested_json_is_refused_with_a_coded_error(client):
    await client.send("[" * 2000 + "]" * 2000)
    error = await client.recv()
    assert (error["event"], error["code"]) == ("error", -1101)
    assert (await client.request({"op": "ping", "id": 1}))["event"] == "pong"


async def test_too_many_messages_per_second_are_refused(client, monkeypatch):
    monkeypatch.setattr("marketdata.streams.MAX_OPS_PER_SECOND", 3)
    codes = []
    for i in range(8):  # 8 > 2 x 3: over the limit even if a second ends in between
        await client.send({"op": "ping", "id": i})
    for _ in range(8):
        frame = await client.recv()
        codes.append(frame.get("code", frame["event"]))
    assert codes.count(-1003) >= 1
    assert codes.count("pong") >= 3


async def test_ping_is_answered_with_pong_and_the_server_time(client):
    pong = await client.request({"op": "ping", "id": "p1"})
    assert pong["event"] == "pong" and pong["id"] == "p1" and pong["time"] > 1_600_000_000_000


async def test_a_refused_resubscription_leaves_the_channel_unsubscribed(client):
    await client.subscribe("depth:BTC-USD")
    error = await client.request(
        {"op": "subscribe", "channels": ["depth:BTC-USD", "trades:NOPE-USD"], "id": 5}
    )
    assert error["code"] == -1121
    pong = await client.request({"op": "ping", "id": 6})  # nothing buffered, nothing stuck
    assert pong["event"] == "pong"
    assert "depth:BTC-USD" in await client.subscribe("depth:BTC-USD", request_id=7)
