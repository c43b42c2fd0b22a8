"""Reads, recovery, state hash and the money invariants of ``risk.Exchange`` (a mixin of it)."""

import hashlib
from collections import defaultdict
from typing import Any

from engine.core.engine import MatchingEngine
from engine.core.enums import BUY, Side
from engine.core.errors import InvariantError, RestoreError
from engine.core.holds import Hold, Market
from engine.core.views import OrderView
from engine.core.withdrawals import WithdrawalHold


class ExchangeViews:
    """The Exchange's read views (delegated to the books), recovery and ``validate()``."""

    matching: MatchingEngine
    _markets: dict[str, Market]
    _balances: dict[tuple[int, str], list[int]]
    _holds: dict[int, Hold]
    _external: dict[str, int]  # asset -> deposits - withdrawals + adjustments + restored
    _withdrawal_holds: dict[int, WithdrawalHold]

    def _flow(self, asset: str, atoms: int) -> None:
        self._external[asset] = self._external.get(asset, 0) + atoms

    def order(self, order_id: int) -> OrderView | None:
        return self.matching.order(order_id)

    def open_orders(self, symbol: str | None = None) -> list[OrderView]:
        return self.matching.open_orders(symbol)

    def depth(self, symbol: str, n: int | None = None) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        return self.matching.depth(symbol, n)

    def level_qty(self, symbol: str, side: Side, price: int) -> int:
        return self.matching.level_qty(symbol, side, price)

    def seq(self, symbol: str) -> int:
        return self.matching.seq(symbol)

    def last_price(self, symbol: str) -> int | None:
        return self.matching.last_price(symbol)

    def restore_market(self, symbol: str, *, seq: int, last_price: int | None) -> None:
        self.matching.restore_market(symbol, seq=seq, last_price=last_price)

    def restore_priority_counter(self, last_priority: int) -> None:
        """See ``MatchingEngine.restore_priority_counter`` (the largest priority ever persisted)."""
        self.matching.restore_priority_counter(last_priority)

    def restore_balance(self, owner: int, asset: str, free: int, locked: int) -> None:
        """Recovery: one account's free and locked atoms (locked must equal its open orders' holds)."""
        if (owner, asset) in self._balances:
            raise RestoreError(f"balance ({owner}, {asset}) restored twice")
        if type(free) is not int or type(locked) is not int or free < 0 or locked < 0:
            raise RestoreError(
                f"balance ({owner}, {asset}): free/locked must be ints >= 0, got {free}/{locked}"
            )
        self._balances[(owner, asset)] = [free, locked]
        self._flow(asset, free + locked)

    def restore_order(self, **order: Any) -> None:
        """MatchingEngine.restore_order, and the order's hold (limit x remaining, or remaining base)."""
        self.matching.restore_order(**order)
        m = self._markets[order["symbol"]]
        is_buy = order["side"] is BUY
        remaining = order["remaining"]
        atoms = order["price"] * remaining * m.unit_atoms if is_buy else remaining * m.lot_atoms
        self._holds[order["order_id"]] = Hold(order["owner"], order["symbol"], m.quote if is_buy else m.base, atoms,
                                               is_buy, order["price"] if is_buy else None, remaining)  # fmt: skip

    def restore_oco(self, leg_id: int, other_id: int) -> None:
        """MatchingEngine.restore_oco, and the two legs' holds become the list's one shared hold."""
        self.matching.restore_oco(leg_id, other_id)
        a = self._holds[leg_id]
        m = self._markets[a.symbol]
        legs = {
            oid: view.price for oid in (leg_id, other_id) if (view := self.matching.order(oid)) is not None
        }
        top = max(legs.values())
        atoms = top * a.remaining * m.unit_atoms if a.is_buy else a.remaining * m.lot_atoms
        self._holds[leg_id] = self._holds[other_id] = Hold(
            a.owner, a.symbol, a.asset, atoms, a.is_buy, top if a.is_buy else None, a.remaining, legs
        )

    def state_hash(self) -> str:
        """The books' hash combined with every non-zero balance, deterministic."""
        h = hashlib.sha256(self.matching.state_hash().encode())
        for (owner, asset), (free, locked) in sorted(self._balances.items()):
            if free or locked:
                h.update(f"{owner}|{asset}|{free}|{locked}\n".encode())
        for wid, w in sorted(self._withdrawal_holds.items()):
            h.update(f"w{wid}|{w.owner}|{w.asset}|{w.atoms}\n".encode())
        return h.hexdigest()

    def validate(self) -> None:
        """The books' invariants, then the money invariants; InvariantError on the first problem."""
        self.matching.validate()
        problems = self.check_invariants()
        if problems:
            raise InvariantError("; ".join(problems[:5]))

    def check_invariants(self) -> list[str]:
        """Broken money invariants, described (empty when all hold): no negative balance; each
        locked balance equals its open orders' and pending withdrawals' holds; every open order has a
        hold, and a BUY limit holds exactly limit x remaining, a SELL remaining x lot; per asset, the
        sum of all balances equals deposits - withdrawals + adjustments (+ restored balances)."""
        problems = []
        held: dict[tuple[int, str], int] = defaultdict(int)
        counted: set[int] = set()
        for oid, h in self._holds.items():
            if h.legs is not None:
                view = self.matching.order(oid)
                other = None if view is None else view.oco_leg
                if other is None or set(h.legs) != {oid, other} or self._holds.get(other) is not h:
                    problems.append(f"order {oid}: shared hold does not match its live OCO list")
                if id(h) in counted:
                    continue
                counted.add(id(h))
            held[(h.owner, h.asset)] += h.atoms
            view = self.matching.order(oid)
            m = self._markets[h.symbol]
            if view is None:
                problems.append(f"order {oid} holds funds but is not open")
                continue
            want = h.price * view.remaining * m.unit_atoms if h.is_buy and h.price is not None else None
            if not h.is_buy:
                want = view.remaining * m.lot_atoms
            if want is not None and h.atoms != want:
                problems.append(f"order {oid} holds {h.atoms} atoms, its remaining needs {want}")
        for wid, w in self._withdrawal_holds.items():
            held[(w.owner, w.asset)] += w.atoms
            if w.atoms <= 0:
                problems.append(f"withdrawal {wid} holds {w.atoms} atoms")
        for v in self.matching.open_orders():
            if v.order_id not in self._holds:
                problems.append(f"open order {v.order_id} holds nothing")
        totals: dict[str, int] = defaultdict(int)
        for (_owner, asset), (free, locked) in self._balances.items():
            totals[asset] += free + locked
        for asset in sorted(totals.keys() | self._external.keys()):
            if totals.get(asset, 0) != self._external.get(asset, 0):
                problems.append(
                    f"{asset}: balances sum to {totals.get(asset, 0)}, external flow is {self._external.get(asset, 0)}"
                )
        for key, (free, locked) in sorted(self._balances.items()):
            if free < 0 or locked < 0:
                problems.append(f"{key}: negative balance {free}/{locked}")
            if locked != held.get(key, 0):
                problems.append(f"{key}: locked {locked} but holds {held.get(key, 0)}")
        for key in held.keys() - self._balances.keys():
            problems.append(f"{key}: holds {held[key]} without a balance")
        return problems
