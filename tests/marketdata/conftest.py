"""Fixtures of the market-data tests: an isolated cache and channel layer per test, and WebSocket
clients on the real ASGI application driven with Channels' WebsocketCommunicator.

Each test gets its own local-memory cache (the engine's snapshots of one test's BTC-USD must not
be read by the next) and its own channel-layer namespace: in the Redis pass a unique prefix, so
concurrent test runs sharing the Redis database never receive each other's frames.
"""

import asyncio
import contextlib
import json
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.db import connections

from marketdata.hub import hub_stop


@pytest.fixture(autouse=True)
def _isolated_market_data(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"md-{uuid.uuid4()}",
        }
    }
    layer = settings.CHANNEL_LAYERS["default"]
    if layer["BACKEND"].startswith("channels_redis"):
        config = {**layer["CONFIG"], "prefix": f"qx-test-{uuid.uuid4().hex[:12]}"}
        settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": config}}
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "engine.client.layers.BatchInMemoryChannelLayer"}}
    yield
    cache.clear()


@pytest.fixture
async def hub_cleanup():
    """Stops the test loop's hub at the end (leaves the fan-out group), and closes the database
    connection of the thread that ran the engine and the snapshots (PostgreSQL could not drop the
    test database while it is open)."""
    yield
    await hub_stop()
    await sync_to_async(connections.close_all, thread_sensitive=True)()


class Client:
    """A WebSocket client on the ASGI application: JSON in and out, with timeouts."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.ws = communicator

    async def send(self, frame: Any) -> None:
        await self.ws.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 3) -> dict[str, Any]:
        """The next frame. (A timeout here also stops the application: asgiref's communicator.)"""
        return json.loads(await self.ws.receive_from(timeout=timeout))

    async def recv_until(self, predicate, timeout: float = 3) -> dict[str, Any]:
        """The first frame matching predicate (skipping others, heartbeats included)."""
        while True:
            frame = await self.recv(timeout)
            if predicate(frame):
                return frame

    async def request(self, frame: dict[str, Any], timeout: float = 3) -> dict[str, Any]:
        """Sends a frame and returns the reply to its id (an ack or an error)."""
        await self.send(frame)
        return await self.recv_until(lambda f: f.get("id") == frame.get("id"), timeout)

    async def subscribe(self, *channels: str, request_id: int = 1) -> dict[str, dict[str, Any]]:
        """Subscribes and returns the snapshot of each channel."""
        ack = await self.request({"op": "subscribe", "channels": list(channels), "id": request_id})
        assert ack["event"] == "subscribed", ack
        snapshots = {}
        while len(snapshots) < len(channels):
            frame = await self.recv_until(lambda f: f["event"] == "snapshot")
            snapshots[frame["channel"]] = frame
        return snapshots

    async def nothing(self, timeout: float = 0.2) -> bool:
        return await self.ws.receive_nothing(timeout=timeout)

    async def close(self) -> None:
        await self.ws.disconnect()


@pytest.fixture
async def ws(hub_cleanup):
    """ws(path="/ws/v1/", headers=[...]) -> a connected Client; all are disconnected at the end."""
    from quantx_site.asgi import application

    clients: list[Client] = []

    async def connect(path: str = "/ws/v1/", headers: list[tuple[bytes, bytes]] | None = None) -> Client:
        communicator = WebsocketCommunicator(application, path, headers=headers or [])
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        client = Client(communicator)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await client.close()
