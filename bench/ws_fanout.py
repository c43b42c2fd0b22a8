#!/usr/bin/env python3
"""WebSocket fan-out benchmark: N subscribers on one depth + trades channel of ONE daphne process.

    .venv/bin/python bench/ws_fanout.py                      # 1000 subscribers, the figures of docs/BENCHMARKS.md
    .venv/bin/python bench/ws_fanout.py --subscribers 200 --seconds 5    # quicker

Two ways to fan out, measured in the same run against the same daphne process and Redis:
- "quantx": the engine sends ONE message per batch to the fan-out group; the process's hub writes
  the ready-made JSON frames to its local sockets (marketdata.hub);
- "baseline": plain Channels, every consumer in a group with a channel of its own, one `group_send`
  per frame, delivered by the channel layer to each consumer, which sends it on.

Per way:
- deliveries/s: a burst of batches (a depth and a trades frame each) published back to back;
  frames received by all subscribers / (last receipt - first publish);
- latency: batches at a steady rate (about half that capacity) for --seconds; publish -> receipt.
End to end (quantx): real trades through `runworker engine` (crossing LIMIT orders over the channel
layer); the engine's trade time carried in the frames -> receipt at the client.

Everything shares this machine: a private redis-server, daphne, the engine worker, the publisher
(this process) and the client process (marketdata.wsclient: one asyncio process, all sockets). A
figure, not an assertion: it prints a Markdown table for docs/BENCHMARKS.md.
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

SYMBOL = "BTC-USD"
QUANTX_PATH = "/ws/v1/"
WARM_UP_SECONDS = 3.0
"""After the sockets connected, before measuring: the web process's GC policy (marketdata.gcpolicy)
freezes the new sockets' objects within a second or two, as it would in a long-running server."""
BASELINE_PATH = "/ws/bench-baseline/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def now_ms() -> float:
    return time.time() * 1000


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


# ------------------------------------------------------------------------------------ client process


class Counter:
    """Deliveries and latencies of every socket of the client process."""

    def __init__(self) -> None:
        self.reset()
        self.closed = 0

    def reset(self) -> None:
        self.received = 0
        self.first = 0.0
        self.last = 0.0
        self.latencies: list[float] = []
        self.by_batch: dict[int, tuple[float, float]] = {}  # publish time -> (first, last) delivery

    def on_message(self, text: str) -> None:
        if text.startswith('{"event":"heartbeat"'):
            return
        t = now_ms()
        if not self.received:
            self.first = t
        self.received += 1
        self.last = t
        i = text.find('"time":')
        if i >= 0:
            j = i + 7
            k = j
            while text[k].isdigit():
                k += 1
            sent = int(text[j:k])
            self.latencies.append(t - sent)
            first, worst = self.by_batch.get(sent, (t - sent, 0.0))
            self.by_batch[sent] = (min(first, t - sent), max(worst, t - sent))


async def client_main(args: argparse.Namespace) -> None:
    from marketdata.wsclient import ws_connect

    counter = Counter()
    ready = {"n": 0}
    expected_before_ready = 3 if args.mode == "quantx" else 0  # subscribed + 2 snapshots

    def make_handler() -> Any:
        seen = {"n": 0}

        def handle(text: str) -> None:
            if seen["n"] < expected_before_ready:
                seen["n"] += 1
                if seen["n"] == expected_before_ready:
                    ready["n"] += 1
                return
            counter.on_message(text)

        return handle

    path = QUANTX_PATH if args.mode == "quantx" else BASELINE_PATH
    sockets = []
    subscribe = json.dumps({"op": "subscribe", "channels": [f"depth:{SYMBOL}", f"trades:{SYMBOL}"], "id": 1})
    for start in range(0, args.n, 50):
        batch = await asyncio.gather(
            *(
                ws_connect("127.0.0.1", args.port, path, on_message=make_handler())
                for _ in range(start, min(args.n, start + 50))
            )
        )
        for ws in batch:
            if args.mode == "quantx":
                ws.send(subscribe)
            sockets.append(ws)
    if args.mode == "baseline":
        await asyncio.sleep(1.0)  # group_add happens in connect(); let the layer settle
    else:
        while ready["n"] < args.n:
            await asyncio.sleep(0.05)
    print("READY", flush=True)

    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(commands.put_nowait, line.strip())
        loop.call_soon_threadsafe(commands.put_nowait, "quit")

    threading.Thread(target=read_stdin, daemon=True).start()
    while True:
        command = await commands.get()
        if command == "reset":
            counter.reset()
            print("OK", flush=True)
        elif command == "report":
            lat = counter.latencies
            closed = sum(1 for ws in sockets if ws.closed is not None)
            print(json.dumps({
                "received": counter.received, "first": counter.first, "last": counter.last, "closed": closed,
                "p50": percentile(lat, 50), "p99": percentile(lat, 99), "max": max(lat, default=float("nan")),
                "samples": len(lat),
                "first_p50": percentile([f for f, _ in counter.by_batch.values()], 50),
                "spread_p50": percentile([w - f for f, w in counter.by_batch.values()], 50),
            }), flush=True)  # fmt: skip
        else:
            break
    for ws in sockets:
        await ws.close()


# ------------------------------------------------------------------------------------ the stack


class Stack:
    """A private redis-server, a SQLite database in a temp dir, daphne, and (later) the engine worker."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="qx-wsbench-"))
        self.redis_port = free_port()
        self.web_port = free_port()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("QX_", "DATABASE_URL", "REDIS_URL"))},
            "DJANGO_SETTINGS_MODULE": "quantx_site.settings",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "QX_VAR_DIR": str(self.tmp),
            "SECRET_KEY": "bench-" + uuid.uuid4().hex * 2,
            "DEBUG": "false",
            "QX_ENGINE_EMBEDDED": "false",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }

    def spawn(self, name: str, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            argv, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, **kwargs
        )
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        self.spawn("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "",
                             "--appendonly", "no", "--dir", str(self.tmp)])  # fmt: skip
        wait_for(lambda: _connects(self.redis_port), "redis-server")
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=self.env, check=True)
        subprocess.run([*manage, "seed_demo"], cwd=BASE_DIR, env={**self.env, "QX_ENGINE_EMBEDDED": "true"},
                       check=True, capture_output=True)  # fmt: skip
        profile = (
            ["-m", "cProfile", "-o", os.environ["QX_BENCH_PROFILE"]]
            if os.environ.get("QX_BENCH_PROFILE")
            else []
        )
        self.spawn("daphne", [sys.executable, *profile, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.web_port),
                              "bench.ws_fanout_app:application"])  # fmt: skip
        wait_for(lambda: _http_ok(f"http://127.0.0.1:{self.web_port}/api/v1/instruments/"), "daphne")
        self.daphne_pid = self.procs[-1].pid

    def start_engine(self) -> None:
        proc = self.spawn("worker", [sys.executable, "manage.py", "runworker", "engine"])
        wait_for(lambda: "Running worker" in (self.tmp / "worker.log").read_text() or proc.poll() is not None,
                 "runworker")  # fmt: skip

    def user_ids(self) -> dict[str, int]:
        with sqlite3.connect(self.tmp / "quantx.sqlite3") as db:
            return dict(db.execute("SELECT username, id FROM accounts_user"))

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def wait_for(predicate: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start in {timeout} s")
        time.sleep(0.1)


class ClientProcess:
    def __init__(self, stack: Stack, mode: str, n: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "client", "--port", str(stack.web_port), "--mode", mode, "--n", str(n)],
            cwd=BASE_DIR, env=stack.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        line = self.proc.stdout.readline().strip()  # type: ignore[union-attr]
        if line != "READY":
            raise RuntimeError(f"client did not get ready: {line!r}")
        time.sleep(WARM_UP_SECONDS)

    def ask(self, command: str) -> Any:
        self.proc.stdin.write(command + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        return json.loads(line) if line.startswith("{") else line.strip()

    def quit(self) -> None:
        try:
            self.proc.stdin.write("quit\n")  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
        except BrokenPipeError:
            pass
        self.proc.wait(30)
        time.sleep(
            5
        )  # let daphne finish the disconnects (the baseline's group_discards) before the next phase


# ------------------------------------------------------------------------------------ publishing


def frames_of(seq: int, t_ms: int) -> tuple[str, str]:
    """A depth and a trades frame shaped like the engine's (marketdata.publisher)."""
    depth = {
        "event": "update",
        "channel": f"depth:{SYMBOL}",
        "seq": seq,
        "prev_seq": seq - 1,
        "data": {
            "bids": [["29999.5", "0.25"]],
            "asks": [["30000.5", "0"]],
            "checksum": 2712847316,
            "time": t_ms,
        },
    }
    trades = {"event": "update", "channel": f"trades:{SYMBOL}", "seq": seq, "prev_seq": seq - 1,
              "data": [{"id": seq, "price": "30000.5", "qty": "0.125", "side": "BUY", "time": t_ms, "seq": seq,
                        "prev_seq": seq - 1}]}  # fmt: skip
    return json.dumps(depth, separators=(",", ":")), json.dumps(trades, separators=(",", ":"))


class Publisher:
    def __init__(self, redis_url: str) -> None:
        from channels_redis.core import RedisChannelLayer

        from bench.ws_fanout_app import BASELINE_GROUP, BASELINE_TYPE
        from marketdata.protocol import BATCH_MESSAGE_TYPE, FANOUT_GROUP

        self.layer = RedisChannelLayer(hosts=[{"address": redis_url, "socket_timeout": None}], capacity=1000)
        self.fanout = (FANOUT_GROUP, BATCH_MESSAGE_TYPE)
        self.baseline = (BASELINE_GROUP, BASELINE_TYPE)
        self.seq = 10**9

    async def batch(self, mode: str) -> None:
        self.seq += 1
        depth, trades = frames_of(self.seq, int(now_ms()))
        if mode == "quantx":
            group, kind = self.fanout
            frames = [[f"depth:{SYMBOL}", self.seq, depth], [f"trades:{SYMBOL}", self.seq, trades]]
            await self.layer.group_send(group, {"type": kind, "frames": frames})
        else:
            group, kind = self.baseline
            await self.layer.group_send(group, {"type": kind, "text": depth})
            await self.layer.group_send(group, {"type": kind, "text": trades})


def wait_delivered(client: ClientProcess, expected: int, stall: float = 8.0) -> dict[str, Any]:
    last, since = -1, time.monotonic()
    while True:
        report = client.ask("report")
        if report["received"] >= expected:
            return report
        if report["received"] != last:
            last, since = report["received"], time.monotonic()
        elif time.monotonic() - since > stall:
            return report
        time.sleep(0.2)


def measure(stack: Stack, publisher: Publisher, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    client = ClientProcess(stack, mode, args.subscribers)
    try:
        burst = args.burst if mode == "quantx" else args.baseline_burst
        client.ask("reset")
        started = now_ms()
        cpu = (cpu_seconds(stack.daphne_pid), cpu_seconds(client.proc.pid))

        async def send_burst() -> None:
            for _ in range(burst):
                await publisher.batch(mode)

        asyncio.run(send_burst())
        expected = burst * 2 * args.subscribers
        report = wait_delivered(client, expected)
        web_cpu = cpu_seconds(stack.daphne_pid) - cpu[0]
        client_cpu = cpu_seconds(client.proc.pid) - cpu[1]
        elapsed = (report["last"] - started) / 1000
        rate = report["received"] / elapsed if elapsed > 0 else 0.0
        time.sleep(1)
        # steady rate: a fraction (default half) of the capacity measured above
        batches_per_s = max(0.5, rate * args.load / (2 * args.subscribers))
        client.ask("reset")

        async def steady() -> int:
            n, t0 = 0, time.monotonic()
            while time.monotonic() - t0 < args.seconds:
                await publisher.batch(mode)
                n += 1
                await asyncio.sleep(max(0.0, t0 + n / batches_per_s - time.monotonic()))
            return n

        sent = asyncio.run(steady())
        steady_report = wait_delivered(client, sent * 2 * args.subscribers)
        return {
            "mode": mode, "burst_batches": burst, "delivered": report["received"], "expected": expected,
            "web_cpu_s": web_cpu, "client_cpu_s": client_cpu, "per_web_cpu_s": report["received"] / web_cpu,
            "seconds": elapsed, "deliveries_per_s": rate, "steady_batches_per_s": batches_per_s,
            "steady_deliveries_per_s": batches_per_s * 2 * args.subscribers,
            "steady_delivered": steady_report["received"], "steady_expected": sent * 2 * args.subscribers,
            "p50_ms": steady_report["p50"], "p99_ms": steady_report["p99"], "max_ms": steady_report["max"],
            "first_delivery_p50_ms": steady_report["first_p50"], "fanout_spread_p50_ms": steady_report["spread_p50"],
            "closed": steady_report["closed"],
        }  # fmt: skip
    finally:
        client.quit()


def measure_end_to_end(stack: Stack, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Real trades through the engine worker: crossing pairs at each of --trade-rates per second."""
    from engine.client.layers import BatchRedisChannelLayer

    stack.start_engine()
    users = stack.user_ids()
    client = ClientProcess(stack, "quantx", args.subscribers)
    layer = BatchRedisChannelLayer(
        hosts=[{"address": stack.env["REDIS_URL"], "socket_timeout": None}], capacity=1000
    )
    pairs = iter(range(1, 10**9))

    async def request(command: dict[str, Any]) -> dict[str, Any]:
        reply_to = f"engine-reply.{uuid.uuid4().hex}"
        message = {"type": "engine.command", "reply_to": reply_to, "rid": 1, "command": command}
        await layer.send_many([("engine", message)])
        return dict((await asyncio.wait_for(layer.receive_many(reply_to, 1), 10))[0]["reply"])

    async def trade() -> None:
        i = next(pairs)
        base = {"symbol": SYMBOL, "order_type": "LIMIT", "price": "30000", "qty": "0.001"}
        sell = await request({"op": "place", "user_id": users["alice"], "side": "SELL", **base,
                              "client_order_id": f"bench-s-{i}"})  # fmt: skip
        buy = await request({"op": "place", "user_id": users["bob"], "side": "BUY", **base,
                             "client_order_id": f"bench-b-{i}"})  # fmt: skip
        assert sell["ok"] and buy["ok"] and buy["order"]["status"] == "FILLED", (sell, buy)

    async def run(rate: float) -> int:
        client.ask("reset")
        n, t0 = 0, time.monotonic()
        while time.monotonic() - t0 < args.seconds:
            n += 1
            await trade()
            await asyncio.sleep(max(0.0, t0 + n / rate - time.monotonic()))
        await asyncio.sleep(1.0)
        return n

    results = []
    try:
        asyncio.run(trade())  # warm the engine (first batch loads its market data from the database)
        for rate in args.trade_rates:
            n = asyncio.run(run(rate))
            report = client.ask("report")
            results.append({
                "mode": f"quantx, real trades at {rate:g}/s", "pairs": n, "delivered": report["received"],
                "deliveries_per_s": report["received"] / args.seconds, "p50_ms": report["p50"],
                "p99_ms": report["p99"], "max_ms": report["max"], "closed": report["closed"],
                "first_delivery_p50_ms": report["first_p50"], "fanout_spread_p50_ms": report["spread_p50"],
            })  # fmt: skip
    finally:
        client.quit()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("role", nargs="?", default="bench", choices=["bench", "client"])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=300, help="batches in the quantx burst")
    parser.add_argument("--baseline-burst", type=int, default=20, help="batches in the baseline burst")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--trade-rates",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[2.0, 5.0],
        help="crossing pairs per second, end to end (each pair: 3 frames per subscriber)",
    )
    parser.add_argument("--phases", default="baseline,quantx,e2e", help="which measurements to run")
    parser.add_argument(
        "--load", type=float, default=0.5, help="steady rate as a fraction of the burst capacity"
    )
    # client role
    parser.add_argument("--port", type=int)
    parser.add_argument("--mode", choices=["quantx", "baseline"])
    parser.add_argument("--n", type=int)
    args = parser.parse_args()
    if args.role == "client":
        asyncio.run(client_main(args))
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quantx_site.settings")
    stack = Stack()
    try:
        stack.start()
        publisher = Publisher(stack.env["REDIS_URL"])
        phases = args.phases.split(",")
        results = [measure(stack, publisher, mode, args) for mode in ("baseline", "quantx") if mode in phases]
        if "e2e" in phases:
            results += measure_end_to_end(stack, args)
    finally:
        stack.stop()
    report(results, args)


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\n{args.subscribers} subscribers on depth:{SYMBOL} + trades:{SYMBOL}, one daphne process; "
          f"{os.cpu_count()} cores shared by daphne, redis, the engine, the publisher and the client\n")  # fmt: skip
    print("| fan-out | deliveries/s (burst) | web process CPU per delivery | steady load | p50 | p99 | max |")
    print("|---|---|---|---|---|---|---|")
    by_mode = {r["mode"]: r for r in results}
    for r in results:
        if "burst_batches" in r:
            print(f"| {r['mode']} | **{r['deliveries_per_s']:,.0f}** ({r['delivered']:,}/{r['expected']:,}) | "
                  f"{r['web_cpu_s'] / r['delivered'] * 1e6:.0f} µs | {r['steady_deliveries_per_s']:,.0f}/s "
                  f"({r['steady_delivered']:,}/{r['steady_expected']:,}) | {r['p50_ms']:.0f} ms | "
                  f"**{r['p99_ms']:.0f} ms** | {r['max_ms']:.0f} ms |")  # fmt: skip
        else:
            print(f"| {r['mode']} ({r['pairs']} trades) | - | - | {r['deliveries_per_s']:,.0f}/s | "
                  f"{r['p50_ms']:.0f} ms | **{r['p99_ms']:.0f} ms** | {r['max_ms']:.0f} ms |")  # fmt: skip
    if "baseline" in by_mode and "quantx" in by_mode:
        ratio = by_mode["quantx"]["deliveries_per_s"] / by_mode["baseline"]["deliveries_per_s"]
        print(f"\nquantx / baseline: {ratio:.1f}x deliveries/s")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
