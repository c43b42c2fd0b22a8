"""Random funds operations, withdrawals and orders of every kind through an Exchange on two instruments.

After every step: every book and money invariant (``Exchange.validate``: per-asset conservation,
locked == holds, holds == limit x remaining), and the ledger (all BalanceEvents so far) summed per
account equals the balances exactly. A refused command changes nothing.
Example count: QX_HYPOTHESIS_EXAMPLES (default 60).
"""

import os
from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from engine.core import STP, BalanceEvent, Exchange, OrderType, Refused, Side, TimeInForce
from tests.engine.core.helpers import SYM, SYM2, spec

EXAMPLES = int(os.environ.get("QX_HYPOTHESIS_EXAMPLES", "60"))
ASSETS = ["BTC", "ETH", "USD"]
owners = st.integers(0, 3)  # 0 is also the fee account


class ExchangeMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.ex = Exchange(fee_owner=0)
        self.ex.add_instrument(
            spec(SYM, base="BTC", quote="USD", maker_fee=Decimal("0.001"), taker_fee=Decimal("0.0025"))
        )
        self.ex.add_instrument(spec(SYM2, "0.05", "0.01", base="ETH", quote="USD"))
        self.ledger: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
        self.next_id = 1
        self.symbol_of: dict[int, str] = {}
        for owner in (1, 2, 3):  # enough for most orders; the funds rule and big orders probe the limits
            for asset in ASSETS:
                self._apply(self.ex.deposit(owner, asset, 10**9, ref="seed"))

    def _apply(self, events: list[Any]) -> None:
        if events and isinstance(events[0], Refused):
            assert len(events) == 1
            assert self.ex.state_hash() == self.before, "a refused command changed the state"
        for e in events:
            if isinstance(e, BalanceEvent):
                acc = self.ledger[(e.owner, e.asset)]
                acc[0] += e.delta_free
                acc[1] += e.delta_locked
        self.ex.validate()

    def _snapshot(self) -> None:
        self.before = self.ex.state_hash()

    @rule(
        owner=owners,
        asset=st.sampled_from(ASSETS),
        atoms=st.integers(-(10**6), 10**10),
        op=st.sampled_from(["deposit", "adjust"]),
    )
    def funds(self, owner: int, asset: str, atoms: int, op: str) -> None:
        self._snapshot()
        self._apply(getattr(self.ex, op)(owner, asset, atoms, ref=f"{op}-{self.next_id}"))

    @rule(owner=owners, asset=st.sampled_from(ASSETS), atoms=st.integers(-5, 2 * 10**9))
    def withdrawal_hold(self, owner: int, asset: str, atoms: int) -> None:
        self.next_id += 1
        self._snapshot()
        self._apply(self.ex.withdrawal_hold(self.next_id, owner, asset, atoms))

    @rule(data=st.data(), complete=st.booleans(), fee=st.integers(-1, 10**6))
    def withdrawal_decide(self, data: st.DataObject, complete: bool, fee: int) -> None:
        wid = data.draw(st.integers(1, self.next_id + 1))
        self._snapshot()
        self._apply(self.ex.withdrawal_complete(wid, fee) if complete else self.ex.withdrawal_release(wid))

    @rule(
        owner=owners, symbol=st.sampled_from([SYM, SYM2]), side=st.sampled_from(list(Side)),
        type=st.sampled_from(list(OrderType)), qty=st.one_of(*[st.integers(1, 400)] * 5, st.integers(1, 10**6)), price=st.integers(90, 110),
        stop=st.integers(90, 110), tif=st.sampled_from(list(TimeInForce)), stp=st.sampled_from(list(STP)),
        quote=st.none() | st.integers(1, 40_000), trail=st.none() | st.integers(1, 2000),
    )  # fmt: skip
    def place_any(self, owner, symbol, side, type, qty, price, stop, tif, stp, quote, trail) -> None:  # type: ignore[no-untyped-def]
        self.place(owner, symbol, side, type, qty, price, stop, tif, stp, quote, trail)

    @rule(
        owner=st.integers(1, 3), symbol=st.sampled_from([SYM, SYM2]), side=st.sampled_from(list(Side)),
        qty=st.integers(1, 400), price=st.integers(90, 110), stop=st.integers(90, 110),
        stop_limit=st.integers(90, 110), trail=st.none() | st.integers(1, 2000),
        stop_tif=st.sampled_from(list(TimeInForce)), stp=st.sampled_from(list(STP)),
    )  # fmt: skip
    def place_oco(self, owner, symbol, side, qty, price, stop, stop_limit, trail, stop_tif, stp) -> None:  # type: ignore[no-untyped-def]
        lid, sid = self.next_id, self.next_id + 1
        self.next_id += 2
        self.symbol_of[lid] = self.symbol_of[sid] = symbol
        self._snapshot()
        self._apply(self.ex.place_oco(owner, symbol, side, qty, lid, price, sid, stop_limit, None if trail else stop,
                                      trailing_delta=trail, stop_tif=stop_tif, stp=stp))  # fmt: skip

    def place(self, owner, symbol, side, type, qty, price, stop, tif, stp, quote, trail=None) -> None:  # type: ignore[no-untyped-def]
        kw: dict[str, Any] = {"price": price, "stop_price": None, "tif": tif, "stp": stp, "quote_qty": None}
        if type is OrderType.MARKET:
            kw.update(price=None, tif=TimeInForce.GTC)
            if quote is not None:
                qty, kw["quote_qty"] = None, quote
        elif type is OrderType.LIMIT_MAKER:
            kw["tif"] = TimeInForce.GTC
        elif type is OrderType.STOP_LOSS_LIMIT and trail is not None:
            kw["trailing_delta"] = trail
        elif type is not OrderType.LIMIT:
            kw["stop_price"] = stop
        oid = self.next_id
        self.next_id += 1
        self.symbol_of[oid] = symbol
        self._snapshot()
        self._apply(self.ex.place(oid, owner, symbol, side, type, qty, **kw))

    @rule(owner=st.integers(1, 3), symbol=st.sampled_from([SYM, SYM2]), side=st.sampled_from(list(Side)),
          qty=st.integers(1, 300), price=st.integers(98, 102))  # fmt: skip
    def limit_near_the_middle(self, owner: int, symbol: str, side: Side, qty: int, price: int) -> None:
        self.place(owner, symbol, side, OrderType.LIMIT, qty, price, price, TimeInForce.GTC, STP.NONE, None)

    @rule(data=st.data(), new=st.integers(0, 300), amend=st.booleans())
    def cancel_or_amend(self, data: st.DataObject, new: int, amend: bool) -> None:
        oid = data.draw(st.integers(1, self.next_id))
        sym = self.symbol_of.get(oid, SYM)
        self._snapshot()
        self._apply(self.ex.amend(oid, sym, new) if amend else self.ex.cancel(oid, sym))

    @rule(owner=owners, symbol=st.sampled_from([SYM, SYM2]))
    def cancel_all(self, owner: int, symbol: str) -> None:
        self._apply(self.ex.cancel_all(owner, symbol))

    @invariant()
    def ledger_equals_balances(self) -> None:
        if not hasattr(self, "ex"):
            return
        ledger = {k: tuple(v) for k, v in self.ledger.items() if v != [0, 0]}
        assert ledger == {k: v for k, v in self.ex.balances().items() if v != (0, 0)}


ExchangeMachine.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestExchangeStateMachine = ExchangeMachine.TestCase
