"""Cancel on disconnect, web side: the leases this process's WebSockets hold at the engine.

A socket that authenticated with `cancel_on_disconnect: true` holds a lease (a random id) at the
engine (engine.worker.timers), which counts each user's leases across every web process. This
process:

- opens the lease before it answers `authenticated` (`cod_open`, waiting for the engine's reply: a
  client is never told it is protected when it is not);
- closes it when the socket goes (closed by either side, silent too long, or its credential ended):
  `cod_close`; the user's last lease starts the engine's grace period;
- renews all its leases in one command every third of the lease time (`cod_renew`), so a lease
  outlives a lost message or two, and a process that crashed or lost the engine stops renewing:
  its leases expire at the engine after CANCEL_ON_DISCONNECT_LEASE_MS and count as closed sockets.

Every command of a process leaves through one queue, in order, so a renewal never overtakes the
close of the same lease; a renewal lists the leases live when it leaves, and at most one waits (an
engine that answers slowly does not pile them up). A failed close is not retried: the lease then
simply expires.
"""

import asyncio
import logging
import uuid
import weakref
from typing import Any

from django.conf import settings

from engine.client.protocol import OP_COD_CLOSE, OP_COD_OPEN, OP_COD_RENEW
from engine.client.seam import engine_request
from quantx_site.errors import ErrorCode

log = logging.getLogger("quantx.marketdata")


class LeaseRefused(Exception):
    """The engine did not open the lease; `code` and `msg` are for the client's error frame."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


class LeaseKeeper:
    """One event loop's leases (lease id -> user id) and the task that talks to the engine."""

    def __init__(self) -> None:
        self.leases: dict[str, int] = {}
        self._queue: asyncio.Queue[tuple[dict[str, Any] | None, asyncio.Future[Any] | None]] = asyncio.Queue()
        self._renew_queued = False
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._send_in_order(), name="quantx-cod-sender"),
            loop.create_task(self._renew_loop(), name="quantx-cod-renew"),
        ]

    async def acquire(self, user_id: int) -> str:
        """A new lease for a socket of `user_id`, once the engine has it; LeaseRefused otherwise."""
        lease = uuid.uuid4().hex
        self.leases[lease] = user_id
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(({"op": OP_COD_OPEN, "user_id": user_id, "lease": lease}, done))
        try:
            reply = await done
        except Exception as exc:  # no reply in time, a full queue, the layer down
            reply = {"ok": False, "unavailable": exc}
        if reply.get("ok"):
            return lease
        self.release(lease)  # the engine may have it after all (a lost reply): close it
        if "unavailable" in reply:
            raise LeaseRefused(ErrorCode.STATUS_UNKNOWN, "The engine did not answer; cancel on disconnect is "
                               "not armed. Authenticate again.")  # fmt: skip
        raise LeaseRefused(ErrorCode.ILLEGAL_PARAMETER, str(reply.get("msg") or reply.get("reason")))

    def release(self, lease: str) -> None:
        """The socket of `lease` is gone (idempotent)."""
        user_id = self.leases.pop(lease, None)
        if user_id is not None:
            self._queue.put_nowait(({"op": OP_COD_CLOSE, "user_id": user_id, "lease": lease}, None))

    async def _send_in_order(self) -> None:
        while True:
            command, done = await self._queue.get()
            if command is None:  # a renewal, of the leases live now (one waits in the queue at most)
                self._renew_queued = False
                if not self.leases:
                    continue
                command = {
                    "op": OP_COD_RENEW,
                    "leases": [[lease, user] for lease, user in self.leases.items()],
                }
            try:
                reply = await engine_request(command)
            except Exception as exc:  # the engine or the layer is down: a renewal or a lease expiry mends it
                log.warning("marketdata: %s not answered by the engine: %r", command["op"], exc)
                if done is not None and not done.done():
                    done.set_exception(exc)
                continue
            if done is not None and not done.done():
                done.set_result(reply)

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(settings.CANCEL_ON_DISCONNECT_LEASE_MS / 3000)
            if self.leases and not self._renew_queued:
                self._renew_queued = True
                self._queue.put_nowait((None, None))


_keepers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LeaseKeeper]" = weakref.WeakKeyDictionary()


def lease_keeper() -> LeaseKeeper:
    """The running event loop's keeper, started on first use."""
    loop = asyncio.get_running_loop()
    keeper = _keepers.get(loop)
    if keeper is None:
        keeper = _keepers[loop] = LeaseKeeper()
    return keeper
