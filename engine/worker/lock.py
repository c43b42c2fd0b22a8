"""Exactly one engine worker per database, at start and at every commit.

Two writers would corrupt balances, so a second worker refuses to start. PostgreSQL: a session
advisory lock on a connection kept open for the life of the process (Django's own connections may
be closed and reopened, which would drop the lock). SQLite: an exclusive `flock` on a file beside
the database; the kernel releases both if the process dies, even with kill -9.

The lock alone does not hold at the moment of a commit: after a kill -9, PostgreSQL can notice
the dead lock connection before the dead writer's backend has finished a COMMIT it already
received, and a new worker could rebuild from a database about to change under it. So the lock
is backed by a fence (`WriterFence`): a starting worker increments the epoch (which waits for
any transaction of the old writer that holds the fence row), and every batch transaction begins
by row-locking the fence at its own epoch; a worker whose epoch is no longer current is refused
at its next commit (`FencedOut`) and stops. This also holds across reconnects after a database
restart, whatever happened to the lock connection meanwhile.
"""

import fcntl
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from engine.models import WriterFence

ADVISORY_LOCK_KEY = 0x5158_454E  # "QXEN"


class EngineLockHeld(Exception):
    """Another engine worker owns this database."""


class FencedOut(Exception):
    """A newer engine worker has started: this one must not write again."""


def fence_acquire() -> int:
    """Makes this worker the current writer: increments the fence's epoch and returns it."""
    with transaction.atomic():
        WriterFence.objects.get_or_create(pk=1)
        WriterFence.objects.filter(pk=1).update(epoch=F("epoch") + 1)
        return WriterFence.objects.values_list("epoch", flat=True).get(pk=1)


def fence_statement(epoch: int) -> tuple[str, list[int]]:
    """The first statement of a batch transaction: row-locks the fence if `epoch` is still current
    (one row changed) and changes nothing otherwise (none)."""
    table = connection.ops.quote_name(WriterFence._meta.db_table)
    return f"UPDATE {table} SET epoch = epoch WHERE id = 1 AND epoch = %s", [epoch]  # noqa: S608


def fence_verify(rowcount: int, epoch: int) -> None:
    if rowcount != 1:
        raise FencedOut(f"writer epoch {epoch} is no longer current: a newer engine worker started")


def fence_check(epoch: int) -> None:
    """`fence_statement` run on its own; raises FencedOut if `epoch` is no longer current."""
    with connection.cursor() as cursor:
        cursor.execute(*fence_statement(epoch))
        fence_verify(cursor.rowcount, epoch)


_held: Any = None  # the open file or connection that holds the lock, for the life of the process


def engine_lock_acquire() -> None:
    """Takes the process-wide engine lock once; raises EngineLockHeld if another process has it."""
    global _held
    if _held is not None:
        return
    if connection.vendor == "postgresql":
        _held = _postgres_lock()
    else:
        _held = _file_lock(Path(str(connection.settings_dict["NAME"])))


def _postgres_lock() -> Any:
    import psycopg

    params = connection.get_connection_params()  # the live settings (a test run's test_ database too)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    conn = psycopg.connect(**params, autocommit=True)
    got = conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()
    if not got or not got[0]:
        conn.close()
        raise EngineLockHeld(f"another engine worker holds the lock on database {params.get('dbname')!r}")
    return conn


def _file_lock(db_path: Path) -> Any:
    path = Path(f"{db_path}.engine.worker.lock") if "memory" not in str(db_path) else None
    if path is None:
        return True  # an in-memory test database belongs to this process alone
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise EngineLockHeld(f"another engine worker holds {path}") from None
    return handle


def engine_lock_release() -> None:
    """Lets go of the engine lock (tests; a worker simply exits)."""
    global _held
    if _held is not None and _held is not True:
        _held.close()
    _held = None
