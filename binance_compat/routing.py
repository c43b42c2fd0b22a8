"""WebSocket routes of the Binance-compatible facade (mounted by quantx_site/asgi.py after /ws/v1/)."""

from django.urls import re_path

from binance_compat.consumers import CombinedStreamConsumer, MarketStreamConsumer, WsApiConsumer

websocket_urlpatterns = [
    re_path(r"^ws/?$", MarketStreamConsumer.as_asgi()),
    re_path(r"^ws/(?P<name>[^?]+?)/?$", MarketStreamConsumer.as_asgi()),
    re_path(r"^stream/?$", CombinedStreamConsumer.as_asgi()),
    re_path(r"^ws-api/v3/?$", WsApiConsumer.as_asgi()),
]
