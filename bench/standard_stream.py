#!/usr/bin/env python3
"""Writes the standard benchmark order streams in the engine replay format (docs/engine-core.md, replay).

A copy of the team's shared generator, kept in the repository so the tests and the benchmark run
from a fresh clone (same seed, same stream).

  standard_stream.py --kind limit --n 100000 --seed 42 > limit-100k.jsonl
  standard_stream.py --kind mixed --n 100000 --seed 42 > mixed-100k.jsonl

limit: 10% cancels of a recent order, 90% GTC limit orders on one symbol around a slowly drifting mid;
       30% of them aggressive (0..5 ticks through mid, qty 1..300 lots), the rest resting 1..50 ticks
       behind mid (qty 1..100 lots). This is the stream used to compare against other order books.
mixed: the same walk with every order type: GTC/IOC/FOK limits, post-only, market, cancels, amends.
"""

import argparse
import json
import random
import sys
from decimal import Decimal

TICK = Decimal("0.01")
LOT = Decimal("0.001")


def generate(kind, n, seed, symbol="BTC-USD", owners=50):
    rnd = random.Random(seed)
    yield {"op": "instrument", "symbol": symbol, "tick_size": str(TICK), "lot_size": str(LOT)}
    mid = 10_000  # in ticks -> 100.00
    live = []
    next_id = 1
    for _ in range(n):
        if rnd.random() < 0.01:
            mid += rnd.choice((-1, 1))
        if live and rnd.random() < 0.10:
            oid = live[-1 - rnd.randrange(min(len(live), 10_000))]
            yield {"op": "cancel", "id": oid, "symbol": symbol}
            continue
        if kind == "mixed" and live and rnd.random() < 0.03:
            oid = live[-1 - rnd.randrange(min(len(live), 10_000))]
            yield {"op": "amend", "id": oid, "symbol": symbol, "qty": str(LOT)}
            continue
        side = "BUY" if rnd.random() < 0.5 else "SELL"
        sgn = 1 if side == "BUY" else -1
        if rnd.random() < 0.30:
            ticks, lots = mid + sgn * rnd.randint(0, 5), rnd.randint(1, 300)
        else:
            ticks, lots = mid - sgn * rnd.randint(1, 50), rnd.randint(1, 100)
        op = {
            "op": "place",
            "id": next_id,
            "owner": next_id % owners,
            "symbol": symbol,
            "side": side,
            "type": "LIMIT",
            "price": str(ticks * TICK),
            "qty": str(lots * LOT),
            "tif": "GTC",
        }
        if kind == "mixed":
            k = rnd.random()
            if k < 0.08:
                op.update(type="MARKET")
                del op["price"], op["tif"]
            elif k < 0.16:
                op["tif"] = "IOC"
            elif k < 0.20:
                op["tif"] = "FOK"
            elif k < 0.25:
                op["type"] = "LIMIT_MAKER"
                del op["tif"]
        if op.get("tif") == "GTC" or op["type"] == "LIMIT_MAKER":
            live.append(next_id)
        next_id += 1
        yield op


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=("limit", "mixed"), default="limit")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    w = sys.stdout.write
    for op in generate(a.kind, a.n, a.seed):
        w(json.dumps(op, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
