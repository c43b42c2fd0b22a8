"""ASGI entry point (daphne): HTTP and WebSockets. The engine channel is served by its own worker
(engine.worker.pipeline.EngineWorker: `runworker engine`, or in-process in the embedded mode)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quantx_site.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from binance_compat.routing import websocket_urlpatterns as binance_ws  # noqa: E402
from marketdata.routing import websocket_urlpatterns as marketdata_ws  # noqa: E402
from marketdata.security import browser_origin_validator  # noqa: E402

websocket_urlpatterns: list = [
    *marketdata_ws,
    *binance_ws,
]  # /ws/v1/ first: binance's /ws/<name> takes any name

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin must be an allowed host when present (browsers); bots send none (marketdata.security).
        "websocket": browser_origin_validator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
