"""`manage.py runworker engine`: Channels' runworker, with the engine started before any message.

Channels creates a consumer only when the first message arrives; the engine must instead take its
single-writer lock and rebuild its state at start-up, so a second worker started by mistake exits
at once (non-zero, with the reason in the log) and the first command finds the books ready. The
`engine` app is listed before `channels` in INSTALLED_APPS so this command replaces Channels' own.
"""

from channels.layers import get_channel_layer
from channels.management.commands.runworker import Command as ChannelsRunworker
from channels.worker import Worker

from engine.protocol import ENGINE_CHANNEL
from engine.runtime import runtime_for_this_loop


class EngineWorker(Worker):
    async def handle(self) -> None:
        if ENGINE_CHANNEL in self.channels:
            runtime = runtime_for_this_loop(self.channel_layer or get_channel_layer())
            await runtime.started.wait()
            if runtime.failed:
                await runtime.task  # raises SystemExit(1) in the scaled mode
        await super().handle()


class Command(ChannelsRunworker):
    worker_class = EngineWorker
