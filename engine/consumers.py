"""The engine's Channels consumer: hands each command to the process's one EngineRuntime.

The consumer holds no state. Channels may drop a consumer instance after an exception (asgiref
discards a crashed instance and its queue), so the books and balances live in the runtime,
which outlives any consumer.
"""

from typing import Any

from channels.consumer import AsyncConsumer

from engine.runtime import runtime_for_this_loop


class EngineConsumer(AsyncConsumer):
    async def engine_command(self, message: dict[str, Any]) -> None:
        await runtime_for_this_loop(self.channel_layer).submit(message)
