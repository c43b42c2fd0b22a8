"""Binance WebSocket endpoints: thin consumers that hand frames to a binance_compat.streams
connection (no channel-layer channel of their own: the process's hub feeds them)."""

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer

from accounts.models import User
from binance_compat.services import listen_key_user_id
from binance_compat.streams import Connection, MarketStreams, StreamError, streams_from_path
from binance_compat.wsapi import WsApi
from marketdata.consumers import NO_CHANNEL_LAYER
from marketdata.hub import hub_get
from marketdata.transport import transport_attach


def _listen_key_user(name: str) -> User | None:
    user_id = listen_key_user_id(name)
    return User.objects.filter(pk=user_id, is_active=True).first() if user_id is not None else None


class _BinanceConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = NO_CHANNEL_LAYER
    connection: Connection | None = None

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch minus its per-frame database hop (as marketdata.consumers)."""
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.connection is not None:
            await self.connection.receive(text_data)  # type: ignore[attr-defined]

    async def disconnect(self, code: int) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class MarketStreamConsumer(_BinanceConsumer):
    """/ws, /ws/<stream>[/<stream>...], /ws/<listenKey>, /ws/<any name> (a plain connection, as
    ccxt.pro's /ws/0)."""

    combined = False

    async def connect(self) -> None:
        await self.accept()
        hub = await hub_get(get_channel_layer())
        path = self.scope["url_route"]["kwargs"]
        combined = self.combined
        connection = MarketStreams(hub=hub, send=self.base_send, combined=combined)
        self.connection = connection
        transport_attach(self.base_send, connection.outbox)
        if combined:
            query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
            text = query.get("streams", [""])[0]
        else:
            text = path.get("name") or ""
        names = streams_from_path(text) if text else None
        try:
            if names:
                await connection.follow_names(names)
            elif not combined and text:
                user = await database_sync_to_async(_listen_key_user)(text)
                if user is not None:
                    await connection.follow_listen_key(text, user)
        except StreamError as error:
            connection.send({"error": {"code": error.code, "msg": error.msg}, "id": None})


class CombinedStreamConsumer(MarketStreamConsumer):
    """/stream and /stream?streams=a/b: events wrapped as `{"stream": name, "data": event}`."""

    combined = True


class WsApiConsumer(_BinanceConsumer):
    """/ws-api/v3."""

    async def connect(self) -> None:
        await self.accept()
        hub = await hub_get(get_channel_layer())
        self.connection = WsApi(hub=hub, send=self.base_send)
        transport_attach(self.base_send, self.connection.outbox)
