#!/usr/bin/env python3
"""Load benchmark of the order path over HTTP (docs/BENCHMARKS.md, "Order path over HTTP").

    .venv/bin/python bench/load_orders.py                          # starts a scaled stack itself
    .venv/bin/python bench/load_orders.py --clients 16 --web-workers 2 --web-threads 8
    .venv/bin/python bench/load_orders.py --url http://127.0.0.1:8001   # a stack already running

N client processes (default 16; processes, so the clients do not share one GIL) each hold one HTTP
connection (kept alive where the server allows) and one JWT, and loop closed-loop for D seconds.
Phase "ceiling": GET /api/v1/auth/me/, a trivial authenticated DRF endpoint on the same server.
Phase "orders": place a LIMIT order that rests (a bid far below the market), then cancel it.
Every request is timed from send to the last byte of its reply; a 2xx order reply means the
engine committed it. The order rate is reported as a fraction of the ceiling.

Without --url the script starts the same stack as the integration tests (tests/integration/
conftest.py: fresh PostgreSQL database, own Redis db, `runworker engine` at LOG_LEVEL=DEBUG for
its per-batch timing lines, gunicorn or daphne), and reports the engine's batches during the
orders phase and the CPU each part used per acknowledged request (/proc; PostgreSQL and Redis
count all their processes, "machine" counts everything, other users' jobs included).
bench/engine_saturation.py measures the worker alone, fed straight through the channel layer.
A --url stack needs the faucet on (QX_FAUCET=true) and high throttles (QX_THROTTLE_REGISTER,
QX_THROTTLE_LOGIN, QX_THROTTLE_ORDER_PLACE), or the clients are refused.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.integration.conftest import Api, Reply, ScaledStack, Trader, traders_register  # noqa: E402  (needs the path above)

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@dataclass
class PhaseResult:
    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)  # acknowledged requests only
    outcomes: Counter[str] = field(default_factory=Counter)
    cpu: dict[str, float] = field(default_factory=dict)
    window: tuple[float, float] = (0.0, 0.0)  # measured interval, epoch seconds
    batches: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    @property
    def errors(self) -> dict[str, int]:
        return {k: v for k, v in self.outcomes.items() if not k.startswith("2")}


# ---------------------------------------------------------------------------------- clients


def _client(
    phase: str, url: str, token: str, index: int, start_at: float, warmup: float, duration: float
) -> tuple[list[float], Counter[str]]:
    """One closed-loop client process; returns (latencies of acknowledged requests, outcome counts)."""
    api = Api(url, token, timeout=30)
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    measure_from = start_at + warmup
    stop_at = measure_from + duration

    def timed(method: str, path: str, body: Any, measured: bool) -> Reply | None:
        started = time.perf_counter()
        try:
            reply = api.call(method, path, body)
        except (OSError, http.client.HTTPException) as exc:
            outcomes[f"no reply ({type(exc).__name__})"] += measured
            time.sleep(0.01)
            return None
        if measured:
            outcomes[f"{reply.status} {reply.code or ''}".strip()] += 1
            if 200 <= reply.status < 300:
                latencies.append(time.perf_counter() - started)
        return reply

    time.sleep(max(0.0, start_at - time.time()))
    n = 0
    while (now := time.time()) < stop_at:
        measured = now >= measure_from
        if phase == "ceiling":
            timed("GET", "/api/v1/auth/me/", None, measured)
            continue
        n += 1
        order = {
            "symbol": "BTC-USD", "side": "BUY", "type": "LIMIT", "qty": "0.01",
            "price": f"{100 + (index * 37 + n) % 500}.00",  # rests: far below any ask
            "client_order_id": f"b{index}-{os.getpid()}-{n}",
        }  # fmt: skip
        placed = timed("POST", "/api/v1/orders/", order, measured)
        if placed is not None and placed.status == 201:
            timed("DELETE", f"/api/v1/orders/{placed.body['id']}/", None, measured)
    api.close()
    return latencies, outcomes


def run_phase(
    name: str,
    url: str,
    traders: list[Trader],
    warmup: float,
    duration: float,
    pids: dict[str, list[int]],
    profile: Path | None = None,
) -> PhaseResult:
    start_at = time.time() + 0.5
    ctx = mp.get_context("fork")
    with ctx.Pool(len(traders)) as pool:
        pending = [
            pool.apply_async(_client, (name, url, t.api.token, i, start_at, warmup, duration))
            for i, t in enumerate(traders)
        ]
        time.sleep(max(0.0, start_at + warmup - time.time()))
        spies = py_spy(profile and profile / name, {k: v[0] for k, v in pids.items()}, duration)
        cpu_before = cpu_seconds(pids, client_pids=[p.pid for p in pool._pool])  # type: ignore[attr-defined]
        time.sleep(duration)
        cpu_after = cpu_seconds(pids, client_pids=[p.pid for p in pool._pool])  # type: ignore[attr-defined]
        results = [p.get(timeout=duration + warmup + 120) for p in pending]
        for spy in spies:
            spy.wait(timeout=60)
    result = PhaseResult(name, duration, window=(start_at + warmup, start_at + warmup + duration))
    for latencies, outcomes in results:
        result.latencies.extend(latencies)
        result.outcomes.update(outcomes)
    result.cpu = cpu_busy(cpu_before, cpu_after, duration)
    return result


# ---------------------------------------------------------------------------------- CPU accounting


def py_spy(outdir: Path | None, pids: dict[str, int], seconds: float) -> list[subprocess.Popen[bytes]]:
    """Starts `py-spy record --gil -f raw` on each named process for `seconds` (none without outdir)."""
    if outdir is None:
        return []
    outdir.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "--gil",
                "--subprocesses",
                "-f",
                "raw",
                "-r",
                "200",
                "-d",
                str(int(seconds)),
                "-p",
                str(pid),
                "-o",
                str(outdir / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    ]


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND  # utime + stime


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _by_name(name: str) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            if stat.read_text().strip() == name:
                pids.append(int(stat.parent.name))
        except OSError:
            pass
    return pids


def _machine_cpu() -> float:
    """CPU seconds all cores have been busy since boot (/proc/stat: everything but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICKS_PER_SECOND


def cpu_seconds(pids: dict[str, list[int]], client_pids: list[int]) -> dict[str, dict[int, float]]:
    """CPU seconds used so far by each process of each part (a process and its children), and by
    the whole machine (pid 0)."""
    groups = {
        **pids,
        "clients": client_pids,
        "postgres*": _by_name("postgres"),
        "redis*": _by_name("redis-server"),
    }
    used = {k: {p: _proc_cpu(p) for pid in v for p in [pid, *_children(pid)]} for k, v in groups.items()}
    return {**used, "machine": {0: _machine_cpu()}}


def cpu_busy(
    before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], seconds: float
) -> dict[str, float]:
    """Cores busy per part between two samples (processes present in both)."""
    return {
        k: sum(t - before[k][p] for p, t in after[k].items() if p in before.get(k, {})) / seconds
        for k in after
    }


BATCH_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) DEBUG quantx.engine: engine: batch of (\d+): "
    r"apply ([\d.]+) ms, commit ([\d.]+) ms"
)


def engine_batches(log: str, window: tuple[float, float]) -> dict[str, float]:
    """The worker's own batch timings (its DEBUG log line per batch) inside the measured window:
    batches/s, commands per batch, ms to apply (lookups, risk, match, market-data frames) and ms to
    commit (one transaction; overlaps the next batch's apply)."""
    start, end = (datetime.fromtimestamp(t) for t in window)
    sizes, apply, commit = [], [], []
    for line in log.splitlines():
        m = BATCH_LINE.match(line)
        if m and start <= datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f") <= end:
            sizes.append(int(m[2]))
            apply.append(float(m[3]))
            commit.append(float(m[4]))
    if not sizes:
        return {}
    seconds = window[1] - window[0]
    return {
        "batches_per_s": len(sizes) / seconds,
        "mean_size": sum(sizes) / len(sizes),
        "max_size": max(sizes),
        "apply_ms": sum(apply) / len(sizes),
        "commit_ms": sum(commit) / len(sizes),
    }


# ---------------------------------------------------------------------------------- main


def report(results: list[PhaseResult], args: argparse.Namespace, stack: ScaledStack | None) -> dict[str, Any]:
    ceiling, orders = results
    rows = [
        ("orders: place+cancel", orders),
        ("ceiling: GET auth/me", ceiling),
    ]
    print(f"\nclients={args.clients} duration={args.duration}s warmup={args.warmup}s "
          f"server={args.server if not args.url else args.url} web-workers={args.web_workers} "
          f"web-threads={args.web_threads} cores={os.cpu_count()}")  # fmt: skip
    print(f"{'phase':<22} {'acked/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7}  errors")
    for label, r in rows:
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(r.errors.items())) or "0"
        print(
            f"{label:<22} {r.rate:8.0f} {r.pct(50):7.1f} {r.pct(90):7.1f} {r.pct(99):7.1f} {r.pct(100):7.1f}  {errors}"
        )
    ratio = orders.rate / ceiling.rate if ceiling.rate else float("nan")
    placed, canceled = (orders.outcomes.get(k, 0) / orders.seconds for k in ("201", "200"))
    print(f"placed/s: {placed:.0f}, canceled/s: {canceled:.0f}; order path / ceiling: {ratio:.2f}")
    if orders.batches:
        b = orders.batches
        print(f"engine batches (worker DEBUG log): {b['batches_per_s']:.0f}/s of {b['mean_size']:.1f} commands "
              f"(max {b['max_size']}); per batch {b['apply_ms']:.2f} ms to apply, {b['commit_ms']:.2f} ms "
              f"to commit")  # fmt: skip
    if orders.cpu:
        print(f"CPU, cores busy during each phase (of {os.cpu_count()}; postgres*/redis*: all their processes; "
              "machine: everything, other users' jobs included):")  # fmt: skip
        for label, r in rows:
            print(f"  {label:<22} " + "  ".join(f"{k} {v:.2f}" for k, v in r.cpu.items()))
        print("server CPU per acknowledged request, ms (engine + web + postgres* + redis*):")
        for label, r in rows:
            parts = {
                k: 1000 * v / r.rate for k, v in r.cpu.items() if k not in ("clients", "machine") and r.rate
            }
            print(
                f"  {label:<22} total {sum(parts.values()):.2f}: "
                + "  ".join(f"{k} {v:.2f}" for k, v in parts.items())
            )
    summary = {
        "clients": args.clients, "duration": args.duration, "web_workers": args.web_workers,
        "web_threads": args.web_threads, "server": args.server,
        "orders_acked_per_s": orders.rate, "orders_placed_per_s": placed, "orders_canceled_per_s": canceled,
        "orders_p50_ms": orders.pct(50), "orders_p99_ms": orders.pct(99), "orders_errors": orders.errors,
        "ceiling_per_s": ceiling.rate, "ceiling_p50_ms": ceiling.pct(50), "ceiling_p99_ms": ceiling.pct(99),
        "ceiling_errors": ceiling.errors, "ratio": ratio,
        "cpu": {"orders": orders.cpu, "ceiling": ceiling.cpu}, "engine_batches": orders.batches,
    }  # fmt: skip
    if stack is not None:
        summary["logs"] = str(stack.logdir)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="base URL of a running stack (default: start one)")
    parser.add_argument("--clients", type=int, default=16, help="client processes (default 16)")
    parser.add_argument(
        "--duration", type=float, default=10.0, help="measured seconds per phase (default 10)"
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first (default 2)")
    parser.add_argument(
        "--web-workers", type=int, default=2, help="gunicorn workers of a started stack (default 2)"
    )
    parser.add_argument(
        "--web-threads", type=int, default=8, help="threads per gunicorn worker; > 1 uses gthread (default 8)"
    )
    parser.add_argument("--server", choices=["gunicorn", "daphne"], default="gunicorn")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--profile", type=Path, help="py-spy (--gil, raw) of web and worker per phase, into this dir"
    )
    parser.add_argument("--keep", action="store_true", help="leave the started stack running until Enter")
    args = parser.parse_args()

    stack = None
    try:
        if args.url:
            url, pids = args.url.rstrip("/"), {}
            names = [f"bench{int(time.time())}x{i}" for i in range(args.clients)]
            traders = traders_register(url, names, {"USD": "100000"})
        else:
            workdir = Path(tempfile.mkdtemp(prefix="qx-load-"))
            stack = ScaledStack(
                workdir, web_workers=args.web_workers, web_threads=args.web_threads,
                worker_env={"LOG_LEVEL": "DEBUG"},  # its per-batch timing lines
            ).start()  # fmt: skip
            url = stack.url(args.server)
            traders = stack.new_traders(
                args.clients, funds={"USD": "100000"}, prefix="bench", server=args.server
            )
            assert stack.worker is not None
            pids = {"engine": [stack.worker.pid], "web": [stack.web[args.server].pid]}
            print(f"stack: {url}, database {stack.db_name}, redis db {stack.redis_db}, logs {stack.logdir}")
        results = [
            run_phase(p, url, traders, args.warmup, args.duration, pids, args.profile)
            for p in ("ceiling", "orders")
        ]
        if stack is not None:
            results[1].batches = engine_batches(stack.workers[-1].log(), results[1].window)
        summary = report(results, args, stack)
        if args.json:
            args.json.write_text(json.dumps(summary, indent=2, default=str))
        if stack is not None:
            verification = stack.verify_ledger()
            print(f"verify_ledger --engine: {'OK' if verification.ok else 'FAILED'}")
            if not verification.ok:
                print(verification.output)
            if args.keep:
                input(f"stack running at {url}; Enter to stop it ")
    finally:
        if stack is not None:
            stack.stop()


if __name__ == "__main__":
    main()
