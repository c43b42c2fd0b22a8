"""ASGI application of the fan-out benchmark (bench/ws_fanout.py): QuantX's own, plus a baseline.

`/ws/v1/` is the production endpoint (one hub per process, frames written to local sockets).
`/ws/bench-baseline/` is the plain Channels way, for comparison in the same process: each consumer
joins a group with its own channel and the publisher's `group_send` goes through the channel layer
to every consumer, which then sends the text it received.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quantx_site.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from marketdata.routing import websocket_urlpatterns  # noqa: E402
from marketdata.security import browser_origin_validator  # noqa: E402

BASELINE_GROUP = "bench.baseline"
BASELINE_TYPE = "bench.frame"


class BaselineConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(BASELINE_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(BASELINE_GROUP, self.channel_name)

    async def bench_frame(self, event: dict) -> None:
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # the production middleware (quantx_site.asgi) around both routes
        "websocket": browser_origin_validator(
            AuthMiddlewareStack(
                URLRouter([*websocket_urlpatterns, path("ws/bench-baseline/", BaselineConsumer.as_asgi())])
            )
        ),
    }
)
