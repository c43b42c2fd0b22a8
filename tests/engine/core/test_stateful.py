"""Random command sequences of every kind on two instruments, checked after every step.

Example count: QX_HYPOTHESIS_EXAMPLES (default 60; CI keeps the default, soak runs raise it).
"""

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from engine.core import (
    STP,
    OrderEvent,
    OrderStatus,
    OrderType,
    Refused,
    Side,
    TimeInForce,
    TradeEvent,
    TriggerEvent,
)
from tests.engine.core.helpers import SYM, SYM2, as_tuple
from tests.engine.core.streams import both, run_core, run_ref

EXAMPLES = int(os.environ.get("QX_HYPOTHESIS_EXAMPLES", "60"))
TERMINAL = {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED}

symbols = st.sampled_from([SYM, SYM2])
owners = st.integers(1, 3)
prices = st.integers(95, 105)
lots = st.integers(1, 6)


class EngineMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.eng, self.ref = both()
        self.next_id = 1
        self.placed: dict[int, dict[str, Any]] = {}  # accepted orders: the place command
        self.state: dict[int, tuple[OrderStatus, int, int]] = {}  # id -> (status, filled, remaining)
        self.traded: dict[int, int] = {}  # id -> lots traded
        self.seq = {SYM: 0, SYM2: 0}
        self.lists: dict[int, int] = {}  # OCO legs placed: leg id -> other leg id

    # ------------------------------------------------------------ commands

    def _run(self, cmd: tuple) -> list[Any]:
        events = run_core(self.eng, cmd)
        assert [as_tuple(e) for e in events] == run_ref(self.ref, cmd)
        self.eng.validate()
        self._check_events(cmd, events)
        return events

    @rule(
        symbol=symbols, owner=owners, side=st.sampled_from(["BUY", "SELL"]),
        type=st.sampled_from(["LIMIT", "LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"]),
        qty=lots, price=prices, stop=prices, tif=st.sampled_from(["GTC", "IOC", "FOK"]),
        stp=st.sampled_from(["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"]),
        quote=st.none() | st.integers(50, 800), trail=st.none() | st.integers(1, 2000),
    )  # fmt: skip
    def place(self, symbol, owner, side, type, qty, price, stop, tif, stp, quote, trail) -> None:  # type: ignore[no-untyped-def]
        c = {"oid": self.next_id, "owner": owner, "symbol": symbol, "side": side, "type": type, "qty": qty,
             "price": price, "stop": stop, "tif": tif, "stp": stp, "quote": None}  # fmt: skip
        if type == "STOP_LOSS_LIMIT" and trail is not None:
            c.update(stop=None, trail=trail)
        self.next_id += 1
        if type == "MARKET":
            c.update(price=None, stop=None, tif="IOC")
            if quote is not None:
                c.update(qty=None, quote=quote)
        elif type == "LIMIT_MAKER":
            c.update(tif="GTC", stop=None)
        elif type == "LIMIT":
            c["stop"] = None
        self.placed[c["oid"]] = c  # before running: it may become a maker within its own command
        events = self._run(("place", c))
        if isinstance(events[0], Refused):
            del self.placed[c["oid"]]

    @rule(
        symbol=symbols, owner=owners, side=st.sampled_from(["BUY", "SELL"]), qty=lots, price=prices, stop=prices,
        stop_limit=prices, trail=st.none() | st.integers(1, 2000), stop_tif=st.sampled_from(["GTC", "IOC", "FOK"]),
        stp=st.sampled_from(["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"]),
    )  # fmt: skip
    def place_oco(self, symbol, owner, side, qty, price, stop, stop_limit, trail, stop_tif, stp) -> None:  # type: ignore[no-untyped-def]
        lid, sid = self.next_id, self.next_id + 1
        self.next_id += 2
        c = {"owner": owner, "symbol": symbol, "side": side, "qty": qty, "limit_id": lid, "price": price,
             "stop_id": sid, "stop_limit": stop_limit, "stop": None if trail else stop, "trail": trail,
             "stop_tif": stop_tif, "stp": stp}  # fmt: skip
        common = {"owner": owner, "symbol": symbol, "side": side, "qty": qty, "stp": stp, "quote": None}
        self.placed[lid] = {**common, "oid": lid, "type": "LIMIT_MAKER", "price": price, "tif": "GTC"}
        self.placed[sid] = {
            **common,
            "oid": sid,
            "type": "STOP_LOSS_LIMIT",
            "price": stop_limit,
            "tif": stop_tif,
        }
        events = self._run(("place_oco", c))
        if isinstance(events[0], Refused):
            del self.placed[lid], self.placed[sid]
        else:
            self.lists[lid], self.lists[sid] = sid, lid

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        oid = data.draw(st.integers(1, self.next_id))
        sym = self.placed[oid]["symbol"] if oid in self.placed else SYM
        self._run(("cancel", oid, sym))

    @rule(data=st.data(), new=st.integers(0, 6))
    def amend(self, data: st.DataObject, new: int) -> None:
        oid = data.draw(st.integers(1, self.next_id))
        sym = self.placed[oid]["symbol"] if oid in self.placed else SYM2
        self._run(("amend", oid, sym, new))

    @rule(owner=owners, symbol=symbols, side=st.sampled_from([None, "BUY", "SELL"]))
    def cancel_all(self, owner: int, symbol: str, side: str | None) -> None:
        self._run(("cancel_all", owner, symbol, side))

    # ------------------------------------------------------------ checks

    def _check_events(self, cmd: tuple, events: list[Any]) -> None:
        fok_traded: dict[int, int] = {}
        touched: set[int] = set()  # OCO legs that traded or triggered in this command
        for e in events:
            if isinstance(e, TriggerEvent):
                assert self.state[e.order_id][0] is OrderStatus.NEW, "only a waiting stop triggers"
                touched.add(e.order_id)
                continue
            if isinstance(e, TradeEvent):
                maker, taker = self.placed[e.maker_id], self.placed[e.taker_id]
                assert e.price == maker["price"], "trades print at the maker's price"
                assert maker["type"] != "MARKET"
                assert taker["type"] != "LIMIT_MAKER", "post-only never takes"
                if e.taker_owner == e.maker_owner:
                    assert taker["stp"] == "NONE", "self-trade despite STP"
                touched.update((e.maker_id, e.taker_id))
                self.traded[e.maker_id] = self.traded.get(e.maker_id, 0) + e.qty
                self.traded[e.taker_id] = self.traded.get(e.taker_id, 0) + e.qty
                fok_traded[e.taker_id] = fok_traded.get(e.taker_id, 0) + e.qty
                self._next_seq(e.symbol, e.seq)
            elif isinstance(e, OrderEvent):
                prev = self.state.get(e.order_id)
                assert prev is None or prev[0] not in TERMINAL, "event after a terminal status"
                c = self.placed[e.order_id]
                if e.seq:
                    self._next_seq(e.symbol, e.seq)
                assert e.filled == self.traded.get(e.order_id, 0), "filled == sum of its trades"
                if e.status in TERMINAL:
                    assert e.remaining == 0
                if c["qty"] is not None:
                    assert e.filled + e.remaining <= c["qty"], "conservation: filled + remaining <= qty"
                    if e.status is OrderStatus.FILLED:  # all that remained (after amends) got filled
                        assert e.filled == (c["qty"] if prev is None else prev[1] + prev[2])
                    if prev is not None:
                        assert e.filled >= prev[1] and e.filled + e.remaining <= prev[1] + prev[2]
                if c["tif"] == "FOK" and e.status in TERMINAL:
                    assert (e.filled, fok_traded.get(e.order_id, 0)) in ((c["qty"], c["qty"]), (0, 0)), "FOK"
                self.state[e.order_id] = (e.status, e.filled, e.remaining)
        for leg in touched & self.lists.keys():
            other = self.lists[leg]
            assert self.state[other][0] in TERMINAL, f"OCO leg {leg} traded/triggered but {other} lives on"
            assert self.state[other][1] == 0 or self.state[leg][1] == 0, "both legs of a list traded"
        for e in events:
            if isinstance(e, TriggerEvent):
                v = self.eng.order(e.order_id)
                assert v is None or (v.triggered and not v.waiting), "a triggered stop says so"

    def _next_seq(self, symbol: str, seq: int) -> None:
        assert seq == self.seq[symbol] + 1, "market seq must go up by exactly one"
        self.seq[symbol] = seq

    @invariant()
    def books_agree(self) -> None:
        if not hasattr(self, "eng"):
            return
        for sym in (SYM, SYM2):
            assert self.eng.depth(sym) == self.ref.depth(sym)
            assert self.eng.seq(sym) == self.seq[sym]
        for v in self.eng.open_orders():
            c = self.placed[v.order_id]
            assert v.qty == c["qty"] and v.filled + v.remaining <= v.qty and v.remaining > 0
            assert self.state[v.order_id][0] not in TERMINAL


EngineMachine.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestEngineStateMachine = EngineMachine.TestCase

__all__ = ["STP", "OrderType", "Side", "TimeInForce"]
