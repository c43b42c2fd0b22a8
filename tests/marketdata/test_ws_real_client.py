"""What a WebSocket client on the network sees from a real daphne: error frames, then close codes
(docs/websocket.md), and private channels that end with their credentials. The client is the `websockets` library, not Channels' test communicator,
which accepted an IntEnum close code that autobahn refuses."""

import asyncio
import hashlib
import hmac
import json
import time
import uuid

import jwt as pyjwt
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from marketdata.protocol import HEARTBEAT_SECONDS, MAX_ERRORS, MAX_MESSAGE_BYTES, CloseCode
from tests.realserver import DEMO_PASSWORD, RealServer, real_daphne


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with real_daphne(tmp_path_factory.mktemp("ws-real")) as server:
        yield server


async def frames_until_closed(ws, timeout: float = 10.0) -> tuple[list[dict], int | None]:
    """Every frame the server sends until it closes the socket, and the close code it sent."""
    frames = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                frames.append(json.loads(await ws.recv()))
    except ConnectionClosed as closed:
        return frames, closed.rcvd.code if closed.rcvd else None
    raise AssertionError("unreachable")


async def test_malformed_frames_end_with_an_error_frame_then_close_4009(server: RealServer) -> None:
    async with connect(server.ws_url) as ws:
        for _ in range(MAX_ERRORS + 5):
            await ws.send("nope")
        frames, code = await frames_until_closed(ws)
    assert code == CloseCode.ABUSE == 4009
    assert [f["code"] for f in frames] == [-1101] * (MAX_ERRORS - 1) + [-1303]


async def test_a_thousand_subscribe_frames_are_throttled_then_closed_with_4009(server: RealServer) -> None:
    frame = json.dumps({"op": "subscribe", "channels": ["ticker:BTC-USD"]})
    async with connect(server.ws_url) as ws:
        for _ in range(1000):
            await ws.send(frame)
        frames, code = await frames_until_closed(ws)
    assert code == 4009
    errors = [f["code"] for f in frames if f["event"] == "error"]
    assert -1003 in errors and errors[-1] == -1303


async def test_deeply_nested_json_gets_an_error_frame_and_the_socket_stays_open(server: RealServer) -> None:
    async with connect(server.ws_url) as ws:
        await ws.send("[" * 2000 + "]" * 2000)
        error = json.loads(await ws.recv())
        assert (error["event"], error["code"]) == ("error", -1101)
        assert "nested" in error["msg"]
        await ws.send(json.dumps({"op": "ping", "id": 1}))
        assert json.loads(await ws.recv())["event"] == "pong"


async def test_a_frame_over_the_frame_limit_gets_an_error_and_the_socket_stays_open(
    server: RealServer,
) -> None:
    async with connect(server.ws_url) as ws:
        await ws.send(json.dumps({"op": "ping", "pad": "x" * 10_000}))
        assert json.loads(await ws.recv())["code"] == -1301
        await ws.send(json.dumps({"op": "ping", "id": 2}))
        assert json.loads(await ws.recv())["event"] == "pong"


@pytest.mark.parametrize("size", [MAX_MESSAGE_BYTES + 1, 1024 * 1024, 10 * 1024 * 1024])
async def test_a_message_over_the_message_limit_is_closed_with_1009(server: RealServer, size: int) -> None:
    async with connect(server.ws_url, max_size=None, write_limit=2**24) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.send("x" * size)
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None, "the server dropped the connection without a close frame"
    assert closed.value.rcvd.code == CloseCode.MESSAGE_TOO_BIG == 1009


# ------------------------------------------------------------------ credentials that end (case 7)


def login(server: RealServer, username: str = "alice") -> tuple[str, int]:
    api = server.api()
    token = api.post("/api/v1/auth/token/", {"username": username, "password": DEMO_PASSWORD})
    assert token.status == 200, token
    api.token = token.body["access"]
    me = api.get("/api/v1/auth/me/")
    assert me.status == 200, me
    return token.body["access"], me.body["id"]


async def private_stream_stopped(ws, within: float) -> dict:
    """The error frame that ends the private channels (heartbeats come meanwhile)."""
    async with asyncio.timeout(within):
        while True:
            frame = json.loads(await ws.recv())
            if frame["event"] == "error":
                return frame


async def test_a_jwt_that_expires_on_an_open_socket_ends_its_private_channels(server: RealServer) -> None:
    _, user_id = login(server)
    now = int(time.time())
    claims = {
        "token_type": "access",
        "exp": now + 2,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": str(user_id),
    }
    short = pyjwt.encode(claims, server.env["SECRET_KEY"], algorithm="HS256")  # as the server signs them
    async with connect(f"{server.ws_url}?token={short}") as ws:
        await ws.send(json.dumps({"op": "subscribe", "channels": ["orders"], "id": 1}))
        assert json.loads(await ws.recv())["event"] == "subscribed"
        error = await private_stream_stopped(ws, within=2 + HEARTBEAT_SECONDS + 2)
        assert (error["code"], error["channels"]) == (-1002, ["orders"])
        await ws.send(json.dumps({"op": "subscribe", "channels": ["orders"], "id": 2}))
        refused = await private_stream_stopped(ws, within=3)
        assert (refused["id"], refused["code"]) == (2, -1002)


async def test_a_revoked_api_key_ends_its_sockets_private_channels(server: RealServer) -> None:
    access, _ = login(server)
    api = server.api(access)
    created = api.post("/api/v1/api-keys/", {"label": "ws", "scopes": ["READ"]})
    assert created.status == 201, created
    timestamp = str(time.time_ns() // 1_000_000)
    signature = hmac.new(
        created.body["secret"].encode(), f"{timestamp}GET/ws/v1/".encode(), hashlib.sha256
    ).hexdigest()
    async with connect(server.ws_url) as ws:
        await ws.send(json.dumps({"op": "auth", "api_key": created.body["key"], "timestamp": timestamp,
                                  "signature": signature, "id": 1}))  # fmt: skip
        assert json.loads(await ws.recv())["event"] == "authenticated"
        await ws.send(json.dumps({"op": "subscribe", "channels": ["balances"], "id": 2}))
        assert json.loads(await ws.recv())["event"] == "subscribed"
        assert api.delete(f"/api/v1/api-keys/{created.body['id']}/").status == 204
        error = await private_stream_stopped(ws, within=HEARTBEAT_SECONDS + 3)
        assert (error["code"], error["reason"], error["channels"]) == (
            -1002,
            "AUTH_CREDENTIAL_ENDED",
            ["balances"],
        )
