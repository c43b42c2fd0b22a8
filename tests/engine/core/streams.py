"""Random command streams for differential and stateful tests, and a runner for both engines."""

import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from engine.core import STP, MatchingEngine, OrderType, Side, TimeInForce
from tests.engine.core.helpers import SYM, SYM2, as_tuple, spec
from tests.engine.core.reference import RefEngine

TYPES = ["LIMIT"] * 6 + ["MARKET", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"]
TIFS = ["GTC", "GTC", "IOC", "FOK"]
STPS = ["NONE", "NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"]


STOP_HEAVY = ["LIMIT"] * 4 + [
    "MARKET",
    "STOP_LOSS_LIMIT",
    "STOP_LOSS_LIMIT",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT_LIMIT",
]


def random_commands(
    seed: int,
    n: int,
    owners: int = 4,
    mid: int = 100,
    spread: int = 6,
    types: list[str] = TYPES,
    oco: float = 0.05,
) -> Iterator[tuple]:
    """Commands as tuples: ("place", kwargs) / ("cancel", id, sym) / ("amend", id, sym, lots) /
    ("cancel_all", owner, sym, side). A small price range and few owners provoke crossings and STP."""
    rnd = random.Random(seed)
    next_id = 1
    for _ in range(n):
        sym = rnd.choice((SYM, SYM2))
        k = rnd.random()
        if k < 0.12 and next_id > 1:
            yield ("cancel", rnd.randrange(1, next_id + 1), sym)
            continue
        if k < 0.18 and next_id > 1:
            yield ("amend", rnd.randrange(1, next_id + 1), sym, rnd.randint(0, 6))
            continue
        if k < 0.20:
            yield ("cancel_all", rnd.randint(1, owners), sym, rnd.choice((None, "BUY", "SELL")))
            continue
        if k < 0.20 + oco:  # an OCO list: LIMIT_MAKER and a (sometimes trailing) STOP_LOSS_LIMIT
            side = rnd.choice(("BUY", "SELL"))
            trail = rnd.choice((None, None, 50, 300, 2000))
            yield ("place_oco", {
                "owner": rnd.randint(1, owners), "symbol": sym, "side": side, "qty": rnd.randint(1, 8),
                "limit_id": next_id, "price": mid + rnd.randint(-spread, spread), "stop_id": next_id + 1,
                "stop_limit": mid + rnd.randint(-spread, spread),
                "stop": None if trail else mid + rnd.randint(-spread, spread), "trail": trail,
                "stop_tif": rnd.choice(TIFS), "stp": rnd.choice(STPS),
            })  # fmt: skip
            next_id += 2
            continue
        typ = rnd.choice(types)
        side = rnd.choice(("BUY", "SELL"))
        cmd: dict[str, Any] = {
            "oid": next_id if rnd.random() > 0.02 else rnd.randrange(1, next_id + 1),  # some duplicates
            "owner": rnd.randint(1, owners),
            "symbol": sym,
            "side": side,
            "type": typ,
            "qty": rnd.randint(1, 8),
            "price": mid + rnd.randint(-spread, spread),
            "stop": None,
            "tif": rnd.choice(TIFS),
            "stp": rnd.choice(STPS),
            "quote": None,
        }
        next_id += 1
        if typ == "MARKET":
            cmd["price"] = None
            cmd["tif"] = rnd.choice(("GTC", "IOC"))
            if rnd.random() < 0.4:
                cmd["qty"], cmd["quote"] = None, rnd.randint(1, 900)
        elif typ == "LIMIT_MAKER":
            cmd["tif"] = "GTC"
        elif typ == "STOP_LOSS_LIMIT" and rnd.random() < 0.4:  # trailing: 0.5 % .. 20 % of ~100 ticks
            cmd["trail"] = rnd.choice((1, 50, 100, 300, 700, 2000))
        elif typ != "LIMIT":
            cmd["stop"] = mid + rnd.randint(-spread, spread)
        if rnd.random() < 0.01:  # the odd invalid command
            cmd[rnd.choice(("qty", "price"))] = rnd.choice((0, -1))
        yield ("place", cmd)


def run_core(eng: Any, cmd: tuple) -> list[Any]:
    if cmd[0] == "place":
        c = cmd[1]
        return eng.place(
            c["oid"], c["owner"], c["symbol"], Side(c["side"]), OrderType(c["type"]), c["qty"], c["price"],
            stop_price=c["stop"], tif=TimeInForce(c["tif"]), stp=STP(c["stp"]), quote_qty=c["quote"],
            trailing_delta=c.get("trail"),
        )  # fmt: skip
    if cmd[0] == "place_oco":
        c = cmd[1]
        return eng.place_oco(
            c["owner"], c["symbol"], Side(c["side"]), c["qty"], c["limit_id"], c["price"], c["stop_id"],
            c["stop_limit"], c["stop"], trailing_delta=c["trail"], stop_tif=TimeInForce(c["stop_tif"]),
            stp=STP(c["stp"]),
        )  # fmt: skip
    if cmd[0] == "cancel":
        return eng.cancel(cmd[1], cmd[2])
    if cmd[0] == "amend":
        return eng.amend(cmd[1], cmd[2], cmd[3])
    return eng.cancel_all(cmd[1], cmd[2], None if cmd[3] is None else Side(cmd[3]))


def run_ref(ref: RefEngine, cmd: tuple) -> list[tuple]:
    if cmd[0] == "place":
        c = cmd[1]
        return ref.place(
            c["oid"], c["owner"], c["symbol"], c["side"], c["type"], c["qty"], c["price"], c["stop"], c["tif"],
            c["stp"], c["quote"], c.get("trail"),
        )  # fmt: skip
    if cmd[0] == "place_oco":
        c = cmd[1]
        return ref.place_oco(
            c["owner"], c["symbol"], c["side"], c["qty"], c["limit_id"], c["price"], c["stop_id"], c["stop_limit"],
            c["stop"], c["trail"], c["stop_tif"], c["stp"],
        )  # fmt: skip
    if cmd[0] == "cancel":
        return ref.cancel(cmd[1], cmd[2])
    if cmd[0] == "amend":
        return ref.amend(cmd[1], cmd[2], cmd[3])
    return ref.cancel_all(cmd[1], cmd[2], cmd[3])


def both(
    symbols: tuple[str, ...] = (SYM, SYM2), tick: str = "0.01", lot: str = "0.001"
) -> tuple[MatchingEngine, RefEngine]:
    eng, ref = MatchingEngine(), RefEngine()
    for s in symbols:
        eng.add_instrument(spec(s, tick, lot))
        ref.add_instrument(s)
    return eng, ref


def compare(eng: MatchingEngine, ref: RefEngine, cmds: Any, validate_every: int = 1) -> int:
    """Run ``cmds`` through both; assert identical events per command and identical books at the end."""
    n = 0
    for i, cmd in enumerate(cmds):
        got = [as_tuple(e) for e in run_core(eng, cmd)]
        want = run_ref(ref, cmd)
        assert got == want, f"command #{i} {cmd}:\ncore {got}\nref  {want}"
        if i % validate_every == 0:
            eng.validate()
        n += 1
    eng.validate()
    for sym in ref.books:
        assert eng.depth(sym) == ref.depth(sym)
        assert eng.seq(sym) == ref.books[sym].seq
        assert eng.last_price(sym) == ref.books[sym].last
    got_open = [(v.order_id, v.filled, v.remaining, v.priority) for v in eng.open_orders()]
    want_open = [(o.id, o.filled, o.remaining, o.prio) for o in ref.open_orders()]
    assert got_open == want_open
    return n


def standard_stream(kind: str, n: int) -> Iterator[dict[str, Any]]:
    """The benchmark's standard stream (bench/standard_stream.py, in the repository), seed 42."""
    from bench.standard_stream import generate

    return generate(kind, n, 42)  # type: ignore[no-any-return]


def standard_commands(kind: str, n: int) -> Iterator[tuple]:
    """The standard stream converted to this module's command tuples (one symbol, tick 0.01, lot 0.001)."""
    tick, lot = Decimal("0.01"), Decimal("0.001")
    for op in standard_stream(kind, n):
        if op["op"] == "instrument":
            assert (op["symbol"], op["tick_size"], op["lot_size"]) == (SYM, str(tick), str(lot))
        elif op["op"] == "cancel":
            yield ("cancel", op["id"], op["symbol"])
        elif op["op"] == "amend":
            yield ("amend", op["id"], op["symbol"], int(Decimal(op["qty"]) / lot))
        else:
            price = int(Decimal(op["price"]) / tick) if "price" in op else None
            yield (
                "place",
                {
                    "oid": op["id"], "owner": op["owner"], "symbol": op["symbol"], "side": op["side"],
                    "type": op["type"], "qty": int(Decimal(op["qty"]) / lot), "price": price, "stop": None,
                    "tif": op.get("tif", "GTC"), "stp": "NONE", "quote": None,
                },
            )  # fmt: skip
