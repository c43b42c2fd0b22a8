"""WebSocket routes of the market-data streams (mounted by quantx_site/asgi.py)."""

from django.urls import path

from marketdata.consumers import MarketStreamConsumer
from marketdata.protocol import WS_PATH

websocket_urlpatterns = [path(WS_PATH, MarketStreamConsumer.as_asgi())]
