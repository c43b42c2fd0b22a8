"""Channel layers with a batch extension: many messages in one round trip.

The engine path (commands in, replies out) goes through Channels, as the design says, but one
message per Redis call is what made it expensive: channels_redis's `send` is four round trips
(expire old, count, add, expire key) and its `receive` four more (restore backup, pop, back up,
clean backup). These subclasses add the `batch` extension:

- `send_many([(channel, message), ...])`: every message in ONE round trip (a Lua script, by its
  SHA once Redis knows it, that expires old messages, checks each channel's capacity and adds). Returns the indexes of the
  messages refused because their channel was full (ChannelFull semantics per message).
- `receive_many(channel, limit)`: whatever is waiting on the channel, up to `limit`, in one round
  trip; if nothing waits, blocks until one message arrives and takes the rest that came with it.

Both keep channels_redis's storage (a sorted set per channel, scored by send time, msgpack with a
random prefix), so a plain `send` and `receive_many` interoperate. Batch receives keep no
in-flight backup: a receive cancelled after Redis popped its messages loses them. The layer is
at-most-once anyway (ARCHITECTURE decision 3): an engine command lost that way was never
executed, and its caller gets "status unknown" (503 -1007) and retries with its client order id.
"""

import asyncio
import hashlib
import time
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from redis.exceptions import NoScriptError

BATCH_EXTENSION = "batch"

_SEND_MANY = """
local now, expiry = tonumber(ARGV[1]), tonumber(ARGV[2])
local full = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  redis.call('ZREMRANGEBYSCORE', key, 0, math.floor(now) - expiry)
  if redis.call('ZCARD', key) >= tonumber(ARGV[1 + 2 * i]) then
    full[#full + 1] = i - 1
  else
    redis.call('ZADD', key, now + i * 0.000001, ARGV[2 + 2 * i])  -- keeps the batch's order
    redis.call('EXPIRE', key, expiry)
  end
end
return full
"""
_SEND_MANY_SHA = hashlib.sha1(_SEND_MANY.encode()).hexdigest()  # noqa: S324  (Redis names scripts by SHA-1)


class BatchRedisChannelLayer(RedisChannelLayer):
    """channels_redis's layer plus `send_many` / `receive_many` (see the module docstring)."""

    extensions = [*RedisChannelLayer.extensions, BATCH_EXTENSION]

    def _index(self, channel: str) -> int:
        # One shard per channel name for batch operations, so senders and the receiver agree.
        return self.consistent_hash(channel) if self.ring_size > 1 else 0

    async def send_many(self, items: list[tuple[str, dict[str, Any]]]) -> list[int]:
        """Sends every (channel, message); returns the indexes refused because a channel was full."""
        by_index: dict[int, list[int]] = {}
        for i, (channel, _) in enumerate(items):
            assert "!" not in channel, "send_many takes ordinary channels only"
            by_index.setdefault(self._index(channel), []).append(i)
        full: list[int] = []
        for index, positions in by_index.items():
            keys = [self.prefix + items[i][0] for i in positions]
            args: list[Any] = [time.time(), int(self.expiry)]
            for i in positions:
                channel, message = items[i]
                args += [self.get_capacity(channel), self.serialize(message)]
            connection = self.connection(index)
            try:
                refused = await connection.evalsha(_SEND_MANY_SHA, len(keys), *keys, *args)
            except NoScriptError:  # first use on this server (or after a restart): send the script
                refused = await connection.eval(_SEND_MANY, len(keys), *keys, *args)
            full += [positions[int(j)] for j in refused]
        return sorted(full)

    async def receive_many(self, channel: str, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` messages from an ordinary channel, oldest first; waits for the first."""
        assert "!" not in channel, "receive_many takes ordinary channels only"
        key = self.prefix + channel
        connection = self.connection(self._index(channel))
        popped = await connection.zpopmin(key, limit)
        while not popped:
            first = await connection.bzpopmin(key, timeout=self.brpop_timeout)
            if first is not None:
                popped = [(first[1], first[2])]
                if limit > 1:
                    popped += await connection.zpopmin(key, limit - 1)
        return [self.deserialize(member) for member, _score in popped]


class BatchInMemoryChannelLayer(InMemoryChannelLayer):
    """The in-memory layer (embedded mode) with the same batch extension."""

    extensions = [*InMemoryChannelLayer.extensions, BATCH_EXTENSION]

    async def send_many(self, items: list[tuple[str, dict[str, Any]]]) -> list[int]:
        full = []
        for i, (channel, message) in enumerate(items):
            try:
                await self.send(channel, message)
            except ChannelFull:
                full.append(i)
        return full

    async def receive_many(self, channel: str, limit: int) -> list[dict[str, Any]]:
        messages = [await self.receive(channel)]
        queue: asyncio.Queue[Any] | None = self.channels.get(channel)
        while queue is not None and len(messages) < limit and not queue.empty():
            expires, message = queue.get_nowait()
            if expires >= time.time():
                messages.append(message)
        return messages
