"""The engine's Channels consumer: hands each command to the process's one EngineRuntime.

The consumer holds no state. Channels may drop a consumer instance after an exception (asgiref
discards a crashed instance and its queue), so the books and balances live in the runtime,
which outlives any consumer.
"""

from typing import Any

from channels.consumer import AsyncConsumer

from engine.protocol import COMMAND_TYPE
from engine.runtime import runtime_for_this_loop


class EngineConsumer(AsyncConsumer):
    async def dispatch(self, message: dict[str, Any]) -> None:
        """Queues the command without Channels' per-message `close_old_connections` thread hop:
        the handler touches no database, and the runtime checks its connection once per batch."""
        if message.get("type") != COMMAND_TYPE:
            raise ValueError(f"engine: no handler for message type {message.get('type')!r}")
        await runtime_for_this_loop(self.channel_layer).submit(message)
