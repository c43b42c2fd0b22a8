"""Private PostgreSQL and Redis servers on free ports, for the tests that restart them: the shared
servers at 5432/6379 serve other test runs and must never be restarted.

The binaries are the system's (`redis-server`; `initdb` and `pg_ctl` from /usr/lib/postgresql/*/bin).
PostgreSQL refuses to run as root: when the tests run as root the cluster belongs to the
`postgres` system user (runuser). A missing binary fails the test in CI and skips it locally.
"""

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.integration.conftest import free_port


def require_binary(path: str | None, what: str) -> str:
    if path and os.path.exists(path):
        return path
    message = f"{what} is not installed (apt-get install postgresql / redis-server)"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return require_binary(found[-1] if found else shutil.which(name), name)


class PrivatePostgres:
    """A throw-away cluster (trust auth) in a temp dir of its own (the postgres user must reach it:
    not under pytest's 0700 tmp dirs), listening on 127.0.0.1:<free port>. `remove()` deletes it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.pg_ctl = _pg_bin("pg_ctl")
        self.initdb = _pg_bin("initdb")
        self.workdir = Path(tempfile.mkdtemp(prefix="qx-test-pg-"))
        self.datadir = self.workdir / "pgdata"
        self.logfile = self.workdir / "postgres.log"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.workdir, "postgres", "postgres")

    def remove(self) -> None:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self.stop(mode="immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def url(self, db: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def _run(self, *argv: str, timeout: float = 60) -> None:
        result = subprocess.run(
            [*self.as_user, *argv], capture_output=True, text=True, timeout=timeout, check=False
        )
        assert result.returncode == 0, f"{argv[0]} failed: {result.stdout}{result.stderr}"

    def init(self) -> "PrivatePostgres":
        self._run(self.initdb, "-D", str(self.datadir), "-U", "postgres", "-A", "trust", "--no-sync")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(self.pg_ctl, "-D", str(self.datadir), "-l", str(self.logfile), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(self.pg_ctl, "-D", str(self.datadir), "-m", mode, "-w", "stop")

    def restart(self, down_seconds: float = 1.0) -> None:
        """Stop (fast: every connection is cut), stay down a moment, start again."""
        self.stop()
        time.sleep(down_seconds)
        self.start()
