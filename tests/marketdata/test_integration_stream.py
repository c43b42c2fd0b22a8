"""A subscriber following docs/websocket.md over real daphne + Redis + `runworker engine` + PostgreSQL
keeps a book equal to the server's while two users trade, and through a Redis restart.

The stack is tests/integration's ScaledStack, but on a redis-server of this module's own (a free
port): restarting the shared Redis would break every other test run using it. The restart is the
README's command (`redis-cli SHUTDOWN NOSAVE`, then `redis-server ...` again). daphne is paused
(SIGSTOP) across the restart until a trade has been committed without it: that pins the race
that loses frames (the engine publishing before daphne's hub re-joined the fan-out group, which
Redis forgot), so the test shows, every time, the client detecting the gap by seq and recovering
with a new snapshot.
"""

import asyncio
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from marketdata.wsclient import ConnectionClosed, ws_connect
from tests.conftest import POSTGRES_URL, REDIS_URL, require_service
from tests.integration.conftest import Api, OrderStream, ScaledStack, StackError, free_port, outcome_problems
from tests.marketdata.book import ClientBook, Gap, book_checksum

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]

SYMBOL = "BTC-USD"
CHANNELS = [f"depth:{SYMBOL}", f"trades:{SYMBOL}"]


class RedisServer:
    """A redis-server of our own, started and restarted with the README's command."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.proc = subprocess.Popen(  # the README's command, in the foreground, on our port
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no", "--databases", "64",
             "--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self.ping():
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on {self.port}")
            time.sleep(0.05)

    def ping(self) -> bool:
        result = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
        return result.stdout.strip() == "PONG"

    def shutdown(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "SHUTDOWN", "NOSAVE"], capture_output=True)
        if self.proc is not None:
            self.proc.wait(10)

    def restart(self) -> None:
        self.shutdown()
        self.start()


class StreamFollower(threading.Thread):
    """The subscriber: a WebSocket client in its own event loop, building a ClientBook and
    re-subscribing (a new snapshot) whenever it finds a gap."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(name="stream-follower", daemon=True)
        self.host, self.port = host, port
        self.book = ClientBook()
        self.lock = threading.Lock()
        self.gaps: list[str] = []
        self.snapshots = 0
        self.error: BaseException | None = None
        self.ready = threading.Event()
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            asyncio.run(self._follow())
        except BaseException as exc:
            self.error = exc
            self.ready.set()

    async def _follow(self) -> None:
        client = await ws_connect(self.host, self.port)
        client.send(json.dumps({"op": "subscribe", "channels": CHANNELS, "id": 1}))
        request_id = 1
        while not self._stop_event.is_set():
            try:
                frame = json.loads(await client.recv(timeout=0.5))
            except TimeoutError:
                continue
            except ConnectionClosed:
                raise
            if frame.get("event") == "error":
                raise AssertionError(f"server error: {frame}")
            with self.lock:
                try:
                    self.book.on_frame(frame)
                except Gap as gap:
                    self.gaps.append(str(gap))
                    request_id += 1  # re-subscribing answers a fresh snapshot
                    client.send(json.dumps({"op": "subscribe", "channels": CHANNELS, "id": request_id}))
                if frame.get("event") == "snapshot" and frame["channel"].startswith("depth:"):
                    self.snapshots += 1
                    self.ready.set()
        await client.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(10)

    def state(self) -> tuple[int | None, list[list[str]], list[list[str]]]:
        with self.lock:
            bids, asks = self.book.levels()
            return self.book.seq, bids, asks


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    require_service("Redis", REDIS_URL)  # the README's services: CI must have them
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        pytest.skip("redis-server / redis-cli are not installed")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def md_stack(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory):
    require_service("PostgreSQL", POSTGRES_URL)
    with ScaledStack(tmp_path_factory.mktemp("md-stack"), redis_url=redis_server.url()) as stack:
        stack.start_web("daphne")
        yield stack


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def rest_depth(api: Api) -> dict[str, Any]:
    reply = api.get(f"/api/v1/markets/{SYMBOL}/depth/?limit=1000")
    assert reply.status == 200, reply
    return reply.body


def test_a_subscriber_keeps_the_servers_book_through_trading_and_a_redis_restart(
    md_stack: ScaledStack, redis_server: RedisServer
) -> None:
    stack = md_stack
    traders = stack.new_traders(2, funds={"USD": "1000000", "BTC": "100"}, prefix="md-")
    daphne = urlparse(stack.url("daphne"))
    follower = StreamFollower(daphne.hostname or "127.0.0.1", daphne.port or 80)
    follower.start()
    assert follower.ready.wait(15), follower.error
    first_trade_seq = follower.book.trade_seq or 0

    stream = OrderStream(traders).start()
    try:
        wait_until(lambda: follower.book.applied >= 20, 30, "20 depth updates before the restart")
        assert not follower.gaps, follower.gaps

        trades_before = stack.sql("SELECT count(*) FROM trading_trade")[0][0]
        worker_restarts: list[str] = []
        os.kill(stack.web["daphne"].pid, signal.SIGSTOP)
        try:
            redis_server.restart()  # the group, the cache and anything in flight are gone
            try:
                stack.wait_engine(timeout=15)
            except StackError:
                # `runworker` exits when Redis goes away (channels' Worker.listener does not retry;
                # reported): restart it as its supervisor would. It rebuilds from the database.
                worker_restarts.append(stack.worker.tail(3) if stack.worker else "")
                stack.start_worker()
            wait_until(
                lambda: stack.sql("SELECT count(*) FROM trading_trade")[0][0] > trades_before + 2,
                30, "trades while daphne's hub has not re-joined",
            )  # fmt: skip
        finally:
            os.kill(stack.web["daphne"].pid, signal.SIGCONT)

        wait_until(
            lambda: follower.gaps and follower.snapshots >= 2, 30, "the gap to be found and a new snapshot"
        )
        applied_after = follower.book.applied
        wait_until(lambda: follower.book.applied >= applied_after + 20, 30, "20 depth updates after recovery")
    finally:
        outcomes = stream.stop()
    assert follower.error is None, follower.error

    api = stack.api("gunicorn")
    wait_until(
        lambda: follower.state()[0] == rest_depth(api)["seq"], 15, "the follower to reach the REST seq"
    )
    final = rest_depth(api)
    seq, bids, asks = follower.state()
    follower.stop()
    assert (seq, bids, asks) == (final["seq"], final["bids"], final["asks"])
    assert book_checksum(bids, asks) == final["checksum"]

    # every trade since the first snapshot was received, or lost and covered by a later snapshot
    trade_seqs = [s for (s,) in stack.sql(
        "SELECT t.seq FROM trading_trade t JOIN trading_instrument i ON i.id = t.instrument_id "
        "WHERE i.symbol = %s AND t.seq > %s ORDER BY t.seq", (SYMBOL, first_trade_seq),
    )]  # fmt: skip
    missed = [s for s in trade_seqs if s not in follower.book.trades_seen]
    assert missed, "the restart lost nothing, so nothing was shown (the pause should have made sure)"
    assert any(g.startswith("depth:") for g in follower.gaps), follower.gaps
    resyncs = follower.book.trade_snapshots[1:]
    assert resyncs and all(any(s <= r for r in resyncs) for s in missed), (missed, resyncs)
    # The order stream through the restart: callers in flight got a 503 (-1007: outcome unknown),
    # never a 500; nothing acknowledged was lost; the ledger and the engine agree.
    stack.wait_engine()
    problems = outcome_problems(stack, traders, outcomes)
    assert not problems, "\n".join(problems[:30])
    verification = stack.verify_ledger()
    assert verification.ok, verification.output
    assert verification.engine_hash == verification.rebuilt_hash
    print(
        f"\n{len(outcomes)} requests ({stream.summary()}); {follower.book.applied} depth updates applied, "
        f"{follower.book.checks} checksums verified, {len(trade_seqs)} trades, {len(missed)} lost in "
        f"the restart and recovered by {follower.snapshots - 1} re-snapshot(s): {follower.gaps}; "
        f"engine worker restarted after the Redis restart: {bool(worker_restarts)}"
    )
