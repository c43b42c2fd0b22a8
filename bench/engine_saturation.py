#!/usr/bin/env python3
"""Engine saturation: how many durable commands per second one engine worker commits and answers.

    .venv/bin/python bench/engine_saturation.py                       # 4 producers, 20 s
    .venv/bin/python bench/engine_saturation.py --producers 4 --window 200 --duration 20

It starts the README's scaled stack (tests/integration/conftest.py ScaledStack: a fresh
PostgreSQL database, its own Redis db, `runworker engine` at LOG_LEVEL=DEBUG, gunicorn only to
register and fund the traders). Then P producer processes feed commands straight into the engine
channel over the real Redis channel layer, each keeping `--window` commands in flight: a resting
LIMIT order far below the market, and its cancel once the place is answered. A command counts
once its reply says ok (a reply means committed). Reported: committed commands/s, the worker's
CPU per command (/proc: its utime + stime over the measured interval), the batch sizes from the
worker's DEBUG log, and the CPU of PostgreSQL and Redis per command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.load_orders import cpu_busy, cpu_seconds, engine_batches, py_spy  # noqa: E402
from tests.integration.conftest import ScaledStack  # noqa: E402


def producer(
    redis_url: str, user_id: int, window: int, start_at: float, warmup: float, duration: float
) -> int:
    """Keeps `window` commands in flight until the end; returns the commands answered ok in the window."""
    from engine.client.layers import BatchRedisChannelLayer

    async def go() -> int:
        layer = BatchRedisChannelLayer(
            hosts=[{"address": redis_url, "socket_timeout": None}], capacity=100_000
        )
        reply_to = f"engine-reply.{uuid.uuid4().hex}"
        rids = iter(range(1, 10**12))
        in_flight: dict[int, str] = {}  # rid -> op
        counted = 0

        def message(command: dict) -> tuple[str, dict]:
            rid = next(rids)
            in_flight[rid] = command["op"]
            return (
                "engine",
                {"type": "engine.command", "reply_to": reply_to, "rid": rid, "command": command},
            )

        def place() -> tuple[str, dict]:
            return message({"op": "place", "user_id": user_id, "symbol": "BTC-USD", "side": "BUY",
                            "order_type": "LIMIT", "price": "1000", "qty": "0.001",
                            "client_order_id": uuid.uuid4().hex, "client_order_id_generated": True})  # fmt: skip

        while time.time() < start_at:
            await asyncio.sleep(0.01)
        await layer.send_many([place() for _ in range(window)])
        measure_from, end = start_at + warmup, start_at + warmup + duration
        while time.time() < end:
            replies = await layer.receive_many(reply_to, window)
            now = time.time()
            follow = []
            for r in replies:
                in_flight.pop(r["rid"], None)
                reply = r["reply"]
                if reply.get("ok"):
                    if measure_from <= now < end:
                        counted += 1
                    order = reply.get("order")
                    if order and order["status"] == "NEW":
                        follow.append(message({"op": "cancel", "user_id": user_id, "order_id": order["id"]}))
                        continue
                follow.append(place())
            await layer.send_many(follow)
        await layer.close_pools()
        return counted

    return asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--window", type=int, default=200, help="commands in flight per producer")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--json", type=Path, help="also write the summary here")
    parser.add_argument(
        "--profile", type=Path, help="py-spy (--gil, raw) of the worker over the window, into this dir"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="qx-saturation-") as tmp:
        stack = ScaledStack(Path(tmp), web_workers=1, worker_env={"LOG_LEVEL": "DEBUG"}).start()
        try:
            traders = stack.new_traders(args.producers, funds={"USD": "1000000"}, prefix="sat")
            worker_pid = stack.worker.pid
            pids = {"worker": [worker_pid]}
            start_at = time.time() + 1.0
            ctx = mp.get_context("spawn")
            with ctx.Pool(args.producers) as pool:
                pending = [
                    pool.apply_async(
                        producer,
                        (stack.redis_url, t.user_id, args.window, start_at, args.warmup, args.duration),
                    )
                    for t in traders
                ]
                time.sleep(max(0.0, start_at + args.warmup - time.time()))
                spies = py_spy(args.profile, {"worker": worker_pid}, args.duration)
                before = cpu_seconds(pids, client_pids=[p.pid for p in pool._pool])  # type: ignore[attr-defined]
                time.sleep(args.duration)
                after = cpu_seconds(pids, client_pids=[p.pid for p in pool._pool])  # type: ignore[attr-defined]
                counted = sum(p.get(timeout=args.duration + 120) for p in pending)
            for spy in spies:
                spy.wait(timeout=60)
            window = (start_at + args.warmup, start_at + args.warmup + args.duration)
            busy = cpu_busy(before, after, args.duration)
            time.sleep(0.5)
            batches = engine_batches(stack.workers[-1].log(), window)
        finally:
            stack.stop()

    rate = counted / args.duration
    per_command = {k: 1000 * v / rate for k, v in busy.items()} if rate else {}
    print(
        f"\nproducers={args.producers} window={args.window} duration={args.duration}s cores={os.cpu_count()}"
    )
    print(f"durable commands/s (committed and answered): {rate:.0f}")
    print("CPU per command, ms: " + "  ".join(f"{k} {v:.3f}" for k, v in per_command.items()))
    print("cores busy: " + "  ".join(f"{k} {v:.2f}" for k, v in busy.items()))
    if batches:
        print(f"batches: {batches['batches_per_s']:.0f}/s of mean {batches['mean_size']:.1f} commands (max "
              f"{batches['max_size']}); per batch apply {batches['apply_ms']:.2f} ms, commit {batches['commit_ms']:.2f} ms")  # fmt: skip
    summary = {"commands_per_s": rate, "cpu_ms_per_command": per_command, "cores_busy": busy, "batches": batches,
               "producers": args.producers, "window": args.window, "duration": args.duration}  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
