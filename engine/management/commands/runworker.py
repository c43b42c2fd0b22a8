"""`manage.py runworker engine`: Channels' runworker, hosting the engine pipeline.

The `engine` app is listed before `channels` in INSTALLED_APPS so this command replaces Channels'
own. The worker (engine.worker.pipeline.EngineWorker) takes its single-writer lock and rebuilds
its state before the first message, so a second worker started by mistake exits at once (non-zero,
with the reason in the log), and it keeps listening through channel-layer errors.
"""

from channels.management.commands.runworker import Command as ChannelsRunworker

from engine.worker.pipeline import EngineWorker


class Command(ChannelsRunworker):
    worker_class = EngineWorker
