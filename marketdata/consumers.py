"""The WebSocket endpoint /ws/v1/: a thin consumer that hands every frame to a StreamSession.

The consumer has no channel-layer channel of its own (`channel_layer_alias` names no layer): the
process's hub receives the engine's messages once for every socket (marketdata.hub).
"""

from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer

from marketdata.hub import hub_get
from marketdata.streams import StreamSession, session_open
from marketdata.transport import transport_attach, transport_limit

NO_CHANNEL_LAYER = "quantx.no-channel-layer"
"""An alias with no layer configured: Channels then gives the consumer no channel (and no per-socket
layer receive loop)."""


class MarketStreamConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = NO_CHANNEL_LAYER
    session: StreamSession | None = None

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch minus its per-frame `close_old_connections` thread hop: the session
        touches the database only through database_sync_to_async, which does that itself."""
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        transport_limit(self.base_send)
        await self.accept()
        hub = await hub_get(get_channel_layer())
        self.session = await session_open(hub=hub, send=self.base_send, scope=self.scope)
        transport_attach(self.base_send, self.session.outbox)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session is not None:
            await self.session.receive(text_data, bytes_data)

    async def disconnect(self, code: int) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None
