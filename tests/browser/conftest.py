"""A live QuantX server and a headless chromium for the browser tests.

`quantx_server` runs the embedded mode as `make run` does, on a free port with its own temporary
QX_VAR_DIR (SQLite database, secret key, static files): migrate, collectstatic, seed_demo, then
daphne. `browser` is Debian's chromium (/usr/bin/chromium) driven by Playwright for Python; the
browser binaries Playwright would download are not used. Locally, a missing chromium or Playwright
skips these tests with a message; in CI (CI=true) it is a failure.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI

BASE_DIR = Path(__file__).resolve().parents[2]
OUTPUT_DIR = BASE_DIR / "test-output"
CHROMIUM = os.environ.get("QX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
VENDOR_JS = BASE_DIR / "static/vendor/lightweight-charts/lightweight-charts.standalone.production.js"
READY_TIMEOUT = 40.0
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
PHONE = {"viewport": VIEWPORTS["phone"], "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
PASSWORD = "Browser-test-pw-31!"
DEMO_PASSWORD = "quantx-demo"  # seed_demo's users alice and bob
TIMEOUT = 10_000  # ms: what a trader would wait for a live update, generously


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = var_dir / "daphne.log"
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DATABASE_URL", "REDIS_URL", "QX_ENGINE_EMBEDDED", "SQLITE_PATH", "DJANGO_SETTINGS_MODULE")}  # fmt: skip
        self.env.update({"QX_VAR_DIR": str(var_dir), "DEBUG": "false", "QX_FAUCET": "true",
                         "QX_THROTTLE_REGISTER": "1000/hour", "QX_THROTTLE_LOGIN": "1000/min",
                         "PYTHONUNBUFFERED": "1"})  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip

    def start(self) -> None:
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        self.manage("seed_demo")
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "quantx_site.asgi:application"],
            cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/instruments/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"daphne did not answer within {READY_TIMEOUT} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@pytest.fixture(scope="session")
def quantx_server(tmp_path_factory) -> Iterator[LiveServer]:
    """An embedded-mode server (SQLite, in-memory channel layer, engine in daphne's loop)."""
    if not VENDOR_JS.exists():
        _unavailable(f"{VENDOR_JS.relative_to(BASE_DIR)} is missing: run `make venv` (npm install + copy)")
    server = LiveServer(tmp_path_factory.mktemp("live"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Module-scoped: Playwright's sync API keeps an event loop running in this thread while it is
    open, which would break later tests that call asyncio.run()."""
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        _unavailable(
            f"chromium not found at {CHROMIUM}: `apt-get install -y chromium` (the browser tests drive it)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed: `make venv` (requirements-dev.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


class Watch:
    """What a trader would notice went wrong on a page: script errors, console errors, failed
    requests and answers >= 400. `expected` patterns cover refusals a test provokes on purpose
    (a refused order is answered 400, and chromium logs that as a console error)."""

    def __init__(self, page, expected: tuple[str, ...] = ()) -> None:
        self.problems: list[str] = []
        self.expected = [re.compile(p) for p in expected]
        page.on("pageerror", lambda exc: self.add(f"script error: {exc}"))
        page.on("console", lambda msg: msg.type == "error" and self.add(f"console: {msg.text}"))
        page.on("requestfailed", lambda req: self.add(f"failed: {req.method} {req.url} {req.failure}"))
        page.on(
            "response", lambda r: r.status >= 400 and self.add(f"HTTP {r.status}: {r.request.method} {r.url}")
        )

    def add(self, text: str) -> None:
        if not any(p.search(text) for p in self.expected):
            self.problems.append(text)


def overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no sideways scrolling)."""
    # Against the configured width: a mobile browser widens its layout viewport to fit wide content.
    return int(
        page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    ) - int(page.viewport_size["width"])


def api_token(base: str, username: str, password: str = DEMO_PASSWORD) -> str:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token/", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access"])


def api_order(base: str, token: str, **order: str) -> dict:
    """An order placed through the REST API (another trader, not a browser)."""
    request = urllib.request.Request(
        f"{base}/api/v1/orders/", data=json.dumps(order).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def api_cancel_all(base: str, token: str, symbol: str) -> None:
    request = urllib.request.Request(f"{base}/api/v1/orders/?symbol={symbol}", method="DELETE",
                                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10):
        pass
