"""A real daphne (embedded mode: SQLite in a temp dir, in-memory channel layer) in its own process,
for tests that must see what a client on the network sees: close codes, frame limits, and
credentials that end while a socket is open. Demo market seeded (`seed_demo`: alice, bob...).
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.integration.conftest import Api, free_port

BASE_DIR = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "quantx-demo"


@dataclass
class RealServer:
    host: str
    port: int
    env: dict[str, str]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws/v1/"

    def api(self, token: str | None = None) -> Api:
        return Api(self.url, token)

    def manage(self, *args: str) -> str:
        """`manage.py ARGS` on the server's database; its stdout."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"manage.py {args[0]}: {result.stdout}{result.stderr}"
        return result.stdout

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def server_env(workdir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QX_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="quantx_site.settings",
        SQLITE_PATH=str(workdir / "db.sqlite3"),
        QX_VAR_DIR=str(workdir / "var"),
        SECRET_KEY=f"real-server-{'x' * 48}",
        DEBUG="false",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


@contextlib.contextmanager
def real_daphne(workdir: Path, extra_env: dict[str, str] | None = None) -> Iterator[RealServer]:
    """Migrates and seeds a fresh SQLite database, starts daphne on a free port, yields when it
    answers HTTP, and stops it (SIGTERM, then SIGKILL) at the end."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = RealServer("127.0.0.1", port, server_env(workdir, extra_env), workdir / "daphne.log")
    server.manage("migrate", "--noinput", "-v0")
    server.manage("seed_demo", "--password", DEMO_PASSWORD)
    with server.log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "quantx_site.asgi:application"],
            cwd=BASE_DIR, env=server.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError):
                if Api(server.url, timeout=2).get("/api/v1/instruments/").status == 200:
                    break
            assert proc.poll() is None, f"daphne exited {proc.returncode}:\n{server.log()}"
            assert time.monotonic() < deadline, f"daphne did not answer in 30 s:\n{server.log()}"
            time.sleep(0.1)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
