"""A/B: CPU-time throughput of two engine/core checkouts on the standard streams, interleaved.

    .venv/bin/python bench/core_ab.py BASE_DIR NEW_DIR [--pairs 6] [--passes 7] [--n 100000]

Each directory is a checkout of this repository (``git worktree add`` or ``git archive | tar -x``)
with the shared bench generator at ``<dir>/../shared/bench`` or ``QX_SHARED_BENCH``. Every pass
runs in a fresh subprocess per version, alternating BASE, NEW, BASE, ... and is timed with
``time.process_time()`` (CPU time of that process), so other load on a shared machine, which stalls
a wall-clock pass, mostly drops out. Prints each pair's best-pass ops/s and the NEW/BASE ratio.
"""

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import gc, sys, time
root, shared, n, passes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sys.path[:0] = [root, root + "/bench", shared]
from adapters import load_stream
from adapters.quantx import QuantXAdapter
from standard_stream import generate
for kind in ("limit", "mixed"):
    stream = load_stream(kind, generate(kind, n, 42))
    ad = QuantXAdapter()
    ad.load()
    best = 0.0
    for _ in range(passes):
        eng, it = ad.open(stream)
        calls = list(it)
        gc.collect()
        gc.freeze()
        t = time.process_time()
        for f, a in calls:
            f(*a)
        best = max(best, len(calls) / (time.process_time() - t))
        del eng, calls
        gc.unfreeze()
    print(kind, round(best))
"""


def run(root: Path, shared: str, n: int, passes: int) -> dict[str, int]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(root), shared, str(n), str(passes)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return {kind: int(v) for kind, v in (line.split() for line in out.splitlines())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("base", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--pairs", type=int, default=6)
    ap.add_argument("--passes", type=int, default=7)
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args()
    ratios: dict[str, list[float]] = {"limit": [], "mixed": []}
    for i in range(args.pairs):
        got = {}
        for name, root in (("base", args.base), ("new", args.new)):
            shared = os.environ.get("QX_SHARED_BENCH", str(root.resolve().parent / "shared" / "bench"))
            got[name] = run(root.resolve(), shared, args.n, args.passes)
        for kind in ratios:
            ratios[kind].append(got["new"][kind] / got["base"][kind])
            print(f"pair {i + 1} {kind}: base {got['base'][kind]:,} new {got['new'][kind]:,} ops/s (CPU), "
                  f"new/base {ratios[kind][-1]:.3f}", flush=True)  # fmt: skip
    for kind, r in ratios.items():
        print(f"{kind}: new/base median {statistics.median(r):.3f}, range {min(r):.3f}-{max(r):.3f}")


if __name__ == "__main__":
    main()
