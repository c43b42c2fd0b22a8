"""`manage.py runworker engine`: Channels' runworker, with the engine started before any message.

Channels creates a consumer only when the first message arrives; the engine must instead take its
single-writer lock and rebuild its state at start-up, so a second worker started by mistake exits
at once (non-zero, with the reason in the log) and the first command finds the books ready. The
`engine` app is listed before `channels` in INSTALLED_APPS so this command replaces Channels' own.

Channels' listener also dies with the first channel-layer error (a Redis restart); this one logs
it and keeps listening, so the engine and its state outlive a Redis restart.
"""

import asyncio
import logging

from channels.layers import get_channel_layer
from channels.management.commands.runworker import Command as ChannelsRunworker
from channels.worker import Worker

from engine.protocol import ENGINE_CHANNEL
from engine.runtime import runtime_for_this_loop

log = logging.getLogger("quantx.engine")
RETRY_SECONDS = 1.0


class EngineWorker(Worker):
    async def handle(self) -> None:
        if ENGINE_CHANNEL in self.channels:
            runtime = runtime_for_this_loop(self.channel_layer or get_channel_layer())
            await runtime.started.wait()
            if runtime.failed:
                await runtime.task  # raises SystemExit(1) in the scaled mode
        await super().handle()

    async def listener(self, channel: str) -> None:
        while True:
            try:
                message = await self.channel_layer.receive(channel)
            except Exception as exc:  # the layer is down: wait and listen again
                log.warning(
                    "engine: receiving from %s failed (%r); retrying in %.0f s", channel, exc, RETRY_SECONDS
                )
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if not message.get("type"):
                log.warning("engine: dropped a message without a type on %s", channel)
                continue
            scope = {"type": "channel", "channel": channel}
            await self.get_or_create_application_instance(channel, scope).put(message)


class Command(ChannelsRunworker):
    worker_class = EngineWorker
