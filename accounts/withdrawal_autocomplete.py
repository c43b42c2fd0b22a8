"""The embedded demo's automatic approval of withdrawals (settings.WITHDRAWAL_AUTO_COMPLETE_SECONDS).

A demo has no staff watching the admin, so a withdrawal would wait forever; with the setting on,
a task beside the embedded engine (engine.client.embedded) completes every PENDING withdrawal once it
is that old, through the engine like a staff approval (no `decided_by`). It reads the database, so
it survives restarts; a withdrawal cancelled or decided meanwhile is simply refused by the engine.
"""

import asyncio
import logging

from channels.db import database_sync_to_async

from accounts.withdrawals import withdrawal_pending_older_than
from engine.client import engine_request
from engine.client.protocol import OP_WITHDRAWAL_APPROVE

log = logging.getLogger("quantx.engine")
POLL_SECONDS = 1.0


async def withdrawals_auto_complete_due(*, seconds: float) -> list[int]:
    """Completes the PENDING withdrawals older than `seconds`; returns the ids it completed."""
    done = []
    for wid in await database_sync_to_async(withdrawal_pending_older_than)(seconds=seconds):
        reply = await engine_request({"op": OP_WITHDRAWAL_APPROVE, "withdrawal_id": wid})
        if reply.get("ok"):
            done.append(wid)
    return done


async def withdrawals_auto_complete_forever(*, seconds: float) -> None:
    """Runs `withdrawals_auto_complete_due` every POLL_SECONDS until cancelled; never dies of a failure."""
    while True:
        await asyncio.sleep(POLL_SECONDS)
        try:
            await withdrawals_auto_complete_due(seconds=seconds)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("withdrawals: automatic completion failed; retrying", exc_info=True)
