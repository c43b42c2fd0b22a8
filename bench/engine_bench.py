#!/usr/bin/env python3
"""Matching-engine benchmark: the QuantX core against three order books from PyPI.

    .venv/bin/python bench/engine_bench.py                     # 100k commands, seed 42, all books
    .venv/bin/python bench/engine_bench.py --only quantx --n 20000
    .venv/bin/python bench/engine_bench.py --skip-competitors --json out.json

Replays the standard streams (bench/standard_stream.py, `limit` and `mixed`) in-process.
The competitors (requirements-bench.txt) replay the limit stream only: they have no IOC/FOK,
post-only or amend to compare. For every book and stream:

* every command is pre-parsed into the library's native input form, then bound to a fresh book,
  before anything is timed (the same for all books); what is timed is the book call itself,
  including whatever events/trades the library emits;
* throughput: a pass with no per-command timer, commands / wall time; best, median and slowest of
  --repeat passes, round-robin over the books; ratios and targets use the best pass;
* latency: separate passes with time.perf_counter_ns() around each command, pooled;
  p50/p99/p99.9/max (max catches GC pauses; GC pauses and preemptions are counted apart);
* GC: left enabled with the interpreter's thresholds (or --gc-threshold), gc.collect() then
  gc.freeze() after pre-parsing, as a deployment would after loading; collections during the
  timed passes are reported (--freeze-every N also freezes after every N commands);
* memory per resting order: a fresh subprocess per book and method builds a book of
  --memory-orders non-crossing orders; tracemalloc (Python heap; blind to C++ allocations) and
  RSS delta (/proc/self/statm), each divided by the order count.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from array import array
from bisect import bisect_right
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # engine.core

from adapters import (  # noqa: E402  (needs the path above when run as a script)
    ADAPTERS,
    COMPETITORS,
    BookAdapter,
    NotInstalled,
    Stream,
    load_stream,
    resting_stream,
)

INSTALL_HINT = "not installed: pip install -r requirements-bench.txt"
TARGET_RATIO = {"lightmatchingengine": 4.0, "limit-order-book": 1.0}  # QuantX ops/s over theirs
TARGET_P99_NS = 10_000
TARGET_MAX_NS = 5_000_000


# ----------------------------------------------------------------------------- setup


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="commands per stream (default 100000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--only", help=f"comma-separated books to run ({', '.join(ADAPTERS)})")
    ap.add_argument("--skip-competitors", action="store_true", help="run the QuantX core only")
    ap.add_argument("--repeat", type=int, default=5, help="timed passes of each kind per book (default 5)")
    ap.add_argument("--memory-orders", type=int, default=100_000, help="resting orders for memory/order")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument(
        "--freeze-every",
        type=int,
        default=0,
        metavar="N",
        help="also gc.freeze() after every N commands, as a worker would after each batch (default: off)",
    )
    ap.add_argument("--gc-threshold", help="e.g. 700,10,10 (default: leave the interpreter's)")
    ap.add_argument("--json", dest="json_out", metavar="OUT.json", help="also write the results as JSON")
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    ap.add_argument("--memory-probe", help=argparse.SUPPRESS)  # internal: child process
    ap.add_argument("--memory-method", choices=("tracemalloc", "rss"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    names = list(ADAPTERS)
    if args.only:
        names = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [s for s in names if s not in ADAPTERS]
        if unknown:
            ap.error(f"unknown book(s) {unknown}; choose from {list(ADAPTERS)}")
    if args.skip_competitors:
        names = [s for s in names if s not in COMPETITORS]
    args.books = names
    return args


def machine_info() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or "?"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": sys.version.replace("\n", " "),
        "platform": platform.platform(),
        "engine_core_sha256": core_digest(),
        "loadavg_at_start": os.getloadavg(),
    }


def core_digest() -> str:
    """Short SHA-256 of engine/core/*.py, to tie numbers to the code measured (the tree may be uncommitted)."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted((REPO / "engine" / "core").glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def standard_stream(kind: str, n: int, seed: int) -> Stream:
    from standard_stream import generate  # bench/standard_stream.py, beside this script

    return load_stream(kind, generate(kind, n, seed))


def load_adapters(names: list[str]) -> tuple[list[BookAdapter], dict[str, str]]:
    """Instantiate and import each book; a missing one is reported, never fatal."""
    loaded, missing = [], {}
    for name in names:
        adapter = ADAPTERS[name]()
        try:
            adapter.load()
        except NotInstalled as exc:
            hint = "see docs/engine-core.md" if name == "quantx" else INSTALL_HINT
            missing[name] = f"{hint} ({exc})"
            continue
        loaded.append(adapter)
    return loaded, missing


# ----------------------------------------------------------------------------- timing


class PassStats:
    """What happened around the timed passes of one book: GC collections, GC pauses, preemption."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.max_gc_pause_ns = 0
        self.involuntary_switches = 0
        self._gc_start = 0

    def on_gc(self, phase: str, info: dict) -> None:
        """gc.callbacks hook: time each collection."""
        if phase == "start":
            self._gc_start = time.perf_counter_ns()
        else:
            self.max_gc_pause_ns = max(self.max_gc_pause_ns, time.perf_counter_ns() - self._gc_start)


@contextmanager
def frozen_gc(stats: PassStats, watch: bool = False):
    """Collect, freeze everything alive (the pre-parsed commands), then count what happens inside.

    ``watch`` also times every collection (gc.callbacks) and counts involuntary context switches
    (getrusage), so a long command can be told apart: GC pause or another process on the CPU.
    """
    gc.collect()
    gc.freeze()
    before = [st["collections"] for st in gc.get_stats()]
    switches = resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw
    if watch:
        gc.callbacks.append(stats.on_gc)
    try:
        yield
    finally:
        if watch:
            gc.callbacks.remove(stats.on_gc)
            stats.involuntary_switches += resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw - switches
        after = [st["collections"] for st in gc.get_stats()]
        for i, (a, b) in enumerate(zip(after, before, strict=True)):
            stats.collections[i] += a - b
        gc.unfreeze()


def run_throughput(batches: list[list], freeze: bool) -> int:
    """Wall time (ns) of the whole replay with no per-command timer; gc.freeze() after each batch if asked."""
    clock = time.perf_counter_ns
    gc_freeze = gc.freeze
    start = clock()
    for batch in batches:
        for fn, args in batch:
            fn(*args)
        if freeze:
            gc_freeze()
    return clock() - start


def run_latency(batches: list[list], freeze: bool, out: array, offset: int) -> None:
    """Per-command latency (ns) into out[offset:]; gc.freeze() between batches if asked (not timed)."""
    clock = time.perf_counter_ns
    gc_freeze = gc.freeze
    i = offset
    for batch in batches:
        for fn, args in batch:
            t0 = clock()
            fn(*args)
            out[i] = clock() - t0
            i += 1
        if freeze:
            gc_freeze()


def split(cmds: list, every: int) -> list[list]:
    """The commands as batches of ``every`` (one batch if 0), prepared before timing."""
    if not every:
        return [cmds]
    return [cmds[i : i + every] for i in range(0, len(cmds), every)]


def timer_overhead_ns(samples: int = 200_000) -> float:
    """Median cost of the latency loop around a no-op call, for reading small latencies."""
    cmds = [(_noop, ())] * samples
    out = array("q", bytes(8 * samples))
    run_latency([cmds], False, out, 0)
    return statistics.median(out)


def _noop() -> None:
    return None


def percentile(sorted_ns: array, p: float) -> int:
    """Nearest-rank percentile of an ascending array."""
    return sorted_ns[max(0, math.ceil(p / 100 * len(sorted_ns)) - 1)]


def bench_stream(
    stream: Stream, adapters: list[BookAdapter], repeat: int, freeze_every: int
) -> dict[str, dict]:
    """Throughput and latency passes, round-robin over books so drift hits all of them alike."""
    n = len(stream.commands)
    books = [a for a in adapters if stream.kind in a.kinds]
    wall = {a.name: [] for a in books}
    lat = {a.name: array("q", bytes(8 * n * repeat)) for a in books}
    stats = {a.name: PassStats() for a in books}
    frozen = {a.name: 0 for a in books}
    freeze = freeze_every > 0
    for r in range(repeat):
        for a in books:
            book, bound = a.open(stream)
            batches = split(list(bound), freeze_every)  # pre-parse: native inputs bound to a fresh book
            with frozen_gc(stats[a.name]):
                frozen[a.name] = gc.get_freeze_count()
                wall[a.name].append(run_throughput(batches, freeze))
            del book, batches, bound
            book, bound = a.open(stream)
            batches = split(list(bound), freeze_every)
            with frozen_gc(stats[a.name], watch=True):
                run_latency(batches, freeze, lat[a.name], r * n)
            del book, batches, bound
    results = {}
    for a in books:
        rates = sorted(n / (w / 1e9) for w in wall[a.name])
        ns = array("q", sorted(lat[a.name]))
        results[a.name] = {
            "ops_per_s": rates[-1],  # best pass: other load on the machine only ever slows a pass down
            "ops_per_s_median": statistics.median(rates),
            "ops_per_s_min": rates[0],
            "p50_ns": percentile(ns, 50),
            "p99_ns": percentile(ns, 99),
            "p999_ns": percentile(ns, 99.9),
            "max_ns": ns[-1],
            "over_5ms": len(ns) - bisect_right(ns, TARGET_MAX_NS),
            "gc_collections": stats[a.name].collections,
            "max_gc_pause_ns": stats[a.name].max_gc_pause_ns,
            "involuntary_context_switches": stats[a.name].involuntary_switches,
            "frozen_objects": frozen[a.name],
            "emits_trades": a.emits_trades,
        }
    return results


def cross_check(stream: Stream, adapters: list[BookAdapter]) -> dict[str, dict]:
    """Untimed replay that tallies maker fills and the final resting book of every book.

    Also times one full collection (gc.collect()) over the final book, with everything else frozen:
    the pause a long-running process pays when the collector reaches its oldest generation.
    """
    out = {}
    for a in adapters:
        if stream.kind not in a.kinds:
            continue
        gc.collect()
        gc.freeze()  # the stream and everything before it: out of the collector's sight
        book, bound = a.open(stream)
        trades = volume = 0
        for fn, args in bound:
            for lots in a.maker_fills(fn(*args)):
                trades += 1
                volume += lots
        t0 = time.perf_counter_ns()
        gc.collect()
        full_gc_ns = time.perf_counter_ns() - t0
        gc.unfreeze()
        orders, bids, asks = a.resting(book)
        row = {"resting_orders": orders, "bid_lots": bids, "ask_lots": asks, "full_gc_ns": full_gc_ns}
        if a.emits_trades:
            row |= {"trades": trades, "traded_lots": volume}
        validate = getattr(book, "validate", None)
        if a.name == "quantx" and validate is not None:
            validate()  # raises if the book's invariants are broken
            row["validate"] = "ok"
        out[a.name] = row
        del book
    return out


# ----------------------------------------------------------------------------- memory


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_probe(name: str, method: str, n: int, seed: int) -> None:
    """Child process: build a book of n resting orders and print bytes per order as JSON."""
    adapter = ADAPTERS[name]()
    adapter.load()
    stream = resting_stream(n, seed)
    gc.collect()
    if method == "tracemalloc":
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    else:
        before = rss_bytes()
    book, bound = adapter.open(stream)
    for fn, args in bound:  # lazily: transient inputs are freed as we go
        fn(*args)
    del bound
    gc.collect()
    after = tracemalloc.get_traced_memory()[0] if method == "tracemalloc" else rss_bytes()
    resting = adapter.resting(book)[0]
    if resting != n:
        raise SystemExit(f"{name}: expected {n} resting orders, book has {resting}")
    print(json.dumps({"bytes_per_order": (after - before) / n}))


def measure_memory(names: list[str], n: int, seed: int) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name in names:
        row = {}
        for method in ("tracemalloc", "rss"):
            cmd = [
                sys.executable,
                __file__,
                "--memory-probe",
                name,
                "--memory-method",
                method,
                "--memory-orders",
                str(n),
                "--seed",
                str(seed),
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode:
                row[method] = None
                row["error"] = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
            else:
                row[method] = json.loads(proc.stdout.strip().splitlines()[-1])["bytes_per_order"]
        out[name] = row
    return out


# ----------------------------------------------------------------------------- report


def us(ns: float) -> str:
    return f"{ns / 1000:,.2f}"


def print_stream_table(stream: Stream, results: dict[str, dict], notes: dict[str, str]) -> None:
    counts = ", ".join(f"{v:,} {k}s" for k, v in stream.counts().items() if v)
    print(f"\n## {stream.kind} stream: {len(stream.commands):,} commands ({counts})")
    cols = ("best ops/s", "median", "min", "p50 µs", "p99 µs", "p99.9 µs", "max µs", ">5 ms")
    print(f"{'book':<20}" + "".join(f" {c:>11}" for c in cols))
    for name, r in results.items():
        cells = [f"{r[k]:,.0f}" for k in ("ops_per_s", "ops_per_s_median", "ops_per_s_min")]
        cells += [us(r[k]) for k in ("p50_ns", "p99_ns", "p999_ns", "max_ns")] + [str(r["over_5ms"])]
        print(f"{name:<20}" + "".join(f" {c:>11}" for c in cells))
    for name, why in notes.items():
        print(f"{name:<20} skipped: {why}")
    print("during the latency passes:")
    cols = ("GC gen0/1/2", "max GC µs", "preempted", "trades")
    print(f"  {'book':<18}" + "".join(f" {c:>13}" for c in cols))
    for name, r in results.items():
        cells = [
            "/".join(str(x) for x in r["gc_collections"]),
            us(r["max_gc_pause_ns"]),
            f"{r['involuntary_context_switches']:,}",
            "emitted" if r["emits_trades"] else "NONE",
        ]
        print(f"  {name:<18}" + "".join(f" {c:>13}" for c in cells))
    print("  (GC counts cover all passes; preempted = involuntary context switches: another process took")
    print("  the CPU, which shows up in the latency tail and max but is not the book's doing)")


def evaluate_targets(limit: dict[str, dict]) -> list[dict]:
    """The issue's targets, on the limit stream of this run."""
    checks = []
    q = limit.get("quantx")
    for other, need in TARGET_RATIO.items():
        label = f"QuantX >= {need:g}x {other} ops/s (limit stream)"
        if q is None or other not in limit:
            checks.append({"target": label, "met": None, "value": "not run"})
            continue
        ratio = q["ops_per_s"] / limit[other]["ops_per_s"]
        checks.append({"target": label, "met": ratio >= need, "value": f"{ratio:.2f}x"})
    if q is None:
        checks.append({"target": "QuantX p99 <= 10 µs / no pause > 5 ms", "met": None, "value": "not run"})
        return checks
    checks.append(
        {
            "target": "QuantX p99 <= 10 µs (limit stream)",
            "met": q["p99_ns"] <= TARGET_P99_NS,
            "value": f"{us(q['p99_ns'])} µs",
        }
    )
    checks.append(
        {
            "target": "QuantX no command > 5 ms (limit stream)",
            "met": q["max_ns"] <= TARGET_MAX_NS,
            "value": f"max {us(q['max_ns'])} µs (longest GC pause {us(q['max_gc_pause_ns'])} µs; "
            f"preempted {q['involuntary_context_switches']:,} times)",
        }
    )
    return checks


def print_ratios(limit: dict[str, dict]) -> None:
    q = limit.get("quantx")
    if q is None:
        return
    print("\nratios on the limit stream (QuantX ops/s / theirs, this run): best pass / median pass")
    for name, r in limit.items():
        if name != "quantx":
            best = q["ops_per_s"] / r["ops_per_s"]
            median = q["ops_per_s_median"] / r["ops_per_s_median"]
            print(f"  QuantX / {name:<20} {best:6.2f}x  / {median:5.2f}x")


def print_cross_check(check: dict[str, dict]) -> bool | None:
    print("\ncross-check on the limit stream (untimed replay; maker fills and final resting book):")
    head = ("book", "trades", "traded lots", "resting", "bid lots", "ask lots", "full GC ms")
    print(f"  {head[0]:<20}" + "".join(f" {h:>11}" for h in head[1:]))
    for name, r in check.items():
        cells = [
            f"{r['trades']:,}" if "trades" in r else "n/a",
            f"{r['traded_lots']:,}" if "traded_lots" in r else "n/a",
            f"{r['resting_orders']:,}",
            f"{r['bid_lots']:,}",
            f"{r['ask_lots']:,}",
            f"{r['full_gc_ns'] / 1e6:.2f}",
        ]
        extra = f"  validate(): {r['validate']}" if "validate" in r else ""
        print(f"  {name:<20}" + "".join(f" {c:>11}" for c in cells) + extra)
    print("  (full GC ms: one gc.collect() over the final book with everything else frozen, the pause a")
    print("  long-running process pays whenever the collector reaches its oldest generation)")
    q = check.get("quantx")
    if q is None or len(check) < 2:
        return None
    keys = ("trades", "traded_lots", "resting_orders", "bid_lots", "ask_lots")
    agree = True
    for name, r in check.items():
        if name == "quantx":
            continue
        diff = [k for k in keys if k in r and r[k] != q[k]]
        agree &= not diff
        print(f"  QuantX vs {name}: {'agree' if not diff else 'DIFFER in ' + ', '.join(diff)}")
    return agree


def print_memory(mem: dict[str, dict], n: int) -> None:
    print(
        f"\nmemory per resting order ({n:,} non-crossing GTC orders, fresh subprocess per book and method):"
    )
    print(f"  {'book':<20} {'tracemalloc B':>14} {'RSS delta B':>12}")
    for name, r in mem.items():
        t = f"{r['tracemalloc']:,.0f}" if r.get("tracemalloc") is not None else "error"
        s = f"{r['rss']:,.0f}" if r.get("rss") is not None else "error"
        err = f"  {r['error']}" if "error" in r else ""
        print(f"  {name:<20} {t:>14} {s:>12}{err}")
    print("  tracemalloc counts the Python heap only (the C++ book shows ~0 there: read its RSS column);")
    print("  RSS delta includes allocator slack and page granularity.")


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.memory_probe:
        memory_probe(args.memory_probe, args.memory_method, args.memory_orders, args.seed)
        return 0
    if args.gc_threshold:
        gc.set_threshold(*(int(x) for x in args.gc_threshold.split(",")))

    adapters, missing = load_adapters(args.books)
    info = machine_info()
    overhead = timer_overhead_ns()
    print("# QuantX engine benchmark")
    print(f"date {info['date']}; {info['cpus']} CPUs, {info['cpu_model']}; {info['platform']}")
    load = ", ".join(f"{x:.2f}" for x in info["loadavg_at_start"])
    print(f"load average at start: {load} (other processes share these CPUs; compare ratios, not absolutes)")
    print(f"python {info['python']}")
    print(f"engine/core/*.py sha256 {info['engine_core_sha256']}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(
        f"streams: standard_stream.generate(kind, n={args.n}, seed={args.seed}) from bench/standard_stream.py"
    )
    print("method: every command pre-parsed into each library's native input form and bound to a fresh")
    print("  book before timing (same for all books); timed = the book call incl. its event/trade emission")
    print("  throughput = commands / wall time of a pass without per-command timers; best, median and")
    print(f"  min of {args.repeat} passes; ratios and targets use the best (load only ever slows a pass)")
    print(f"  latency = perf_counter_ns() around each command, separate passes, pooled over {args.repeat};")
    print(f"  timer overhead ~{overhead:.0f} ns per command, included in the latencies")
    print(f"GC: enabled={gc.isenabled()}, thresholds={gc.get_threshold()}, gc.collect() + gc.freeze() after")
    print("  pre-parsing each pass, gc.unfreeze() after it; collections inside timed passes below")
    if args.freeze_every:
        print(
            f"  and gc.freeze() after every {args.freeze_every} commands inside the timed passes (--freeze-every)"
        )
    print("books:")
    for a in adapters:
        print(f"  {a.name} {a.version()}: {a.notes}")
    for name, why in missing.items():
        print(f"  {name}: {why}")

    report: dict = {
        "machine": info,
        "argv": sys.argv,
        "n": args.n,
        "seed": args.seed,
        "repeat": args.repeat,
        "freeze_every": args.freeze_every,
        "gc_threshold": gc.get_threshold(),
        "timer_overhead_ns": overhead,
        "missing": missing,
        "streams": {},
    }
    for kind in ("limit", "mixed"):
        stream = standard_stream(kind, args.n, args.seed)
        runnable = [a for a in adapters if kind in a.kinds]
        if not runnable:
            continue
        results = bench_stream(stream, runnable, args.repeat, args.freeze_every)
        print_stream_table(
            stream, results, {k: v for k, v in missing.items() if kind == "limit" or k == "quantx"}
        )
        report["streams"][kind] = results
        if kind == "limit":
            print_ratios(results)
            check = cross_check(stream, runnable)
            report["cross_check"] = check
            report["cross_check_agree"] = print_cross_check(check)
        elif "quantx" in results:
            q = cross_check(stream, [a for a in runnable if a.name == "quantx"])["quantx"]
            report["cross_check_mixed"] = q
            print(
                f"  quantx on the mixed stream: {q['trades']:,} trades, {q['traded_lots']:,} lots traded, "
                f"{q['resting_orders']:,} resting, full GC {q['full_gc_ns'] / 1e6:.2f} ms, "
                f"validate(): {q.get('validate', 'n/a')}"
            )

    if not args.skip_memory and adapters:
        report["memory"] = measure_memory([a.name for a in adapters], args.memory_orders, args.seed)
        print_memory(report["memory"], args.memory_orders)

    checks = evaluate_targets(report["streams"].get("limit", {}))
    report["targets"] = checks
    print("\ntargets (limit stream, this run):")
    for c in checks:
        verdict = {True: "MET", False: "MISSED", None: "not evaluated"}[c["met"]]
        print(f"  {verdict:<13} {c['target']}: {c['value']}")
    mixed_q = report["streams"].get("mixed", {}).get("quantx")
    if mixed_q:
        print(f"  (info)        mixed stream: p99 {us(mixed_q['p99_ns'])} µs, max {us(mixed_q['max_ns'])} µs")

    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2, default=str))
        print(f"\nwrote {args.json_out}")
    return 1 if args.check and any(c["met"] is False for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
