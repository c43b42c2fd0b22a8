from channels.routing import ChannelNameRouter

from engine.consumers import EngineConsumer
from engine.protocol import ENGINE_CHANNEL

channel_routes = ChannelNameRouter({ENGINE_CHANNEL: EngineConsumer.as_asgi()})
