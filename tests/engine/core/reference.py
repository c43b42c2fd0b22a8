"""An independent reference model of the matching rules, written for clarity, not speed.

It shares no code with engine.core: orders are plain objects in plain lists, the book is re-sorted
for every fill, enums are plain strings, FOK is decided by running the order on a deep copy of the book. The
rules come from docs/replay-format.md and docs/engine-core.md. Events are tuples in the
same shape as ``helpers.as_tuple``. Trailing stops are moved and checked trade price by trade price
with exact fractions (the core summarises a pass by its first and last price); OCO lists are a plain
dict of leg -> other leg.
"""

import copy
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any


@dataclass
class RefOrder:
    id: int
    owner: int
    symbol: str
    side: str
    type: str
    price: int | None
    stop: int | None
    qty: int
    filled: int
    remaining: int
    tif: str
    stp: str
    prio: int
    triggered: bool = False
    trail: int = 0
    peak: int | None = None


@dataclass
class RefBook:
    resting: list[RefOrder] = field(default_factory=list)  # both sides, any order
    stops: list[RefOrder] = field(default_factory=list)
    seq: int = 0
    last: int | None = None


def _int_ok(v: Any) -> bool:
    return type(v) is int and v > 0


class RefEngine:
    def __init__(self) -> None:
        self.books: dict[str, RefBook] = {}
        self.used: set[int] = set()
        self.prio = 0
        self.oco: dict[int, int] = {}

    def add_instrument(self, symbol: str) -> None:
        self.books[symbol] = RefBook()

    # ---------------------------------------------------------------- views

    def depth(self, symbol: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        out = []
        for side in ("BUY", "SELL"):
            levels: dict[int, int] = {}
            for o in self.books[symbol].resting:
                if o.side == side:
                    levels[o.price] = levels.get(o.price, 0) + o.remaining  # type: ignore[index]
            out.append(sorted(levels.items(), reverse=side == "BUY"))
        return out[0], out[1]

    def open_orders(self) -> list[RefOrder]:
        return sorted((o for b in self.books.values() for o in b.resting + b.stops), key=lambda o: o.prio)

    def _find(self, oid: int, symbol: str) -> RefOrder | None:
        b = self.books.get(symbol)
        if b is None:
            return None
        for o in b.resting + b.stops:
            if o.id == oid:
                return o
        return None

    # ---------------------------------------------------------------- commands

    def place(
        self, oid, owner, symbol, side, type, qty, price=None, stop=None, tif="GTC", stp="NONE", quote=None,
        trail=None,
    ):  # fmt: skip
        b = self.books.get(symbol)
        if b is None:
            return [("refused", "place", oid, symbol, "MATCHING_UNKNOWN_SYMBOL", owner)]
        reason = self._check(type, qty, price, stop, tif, quote, trail)
        if reason:
            return [("refused", "place", oid, symbol, reason, owner)]
        if oid in self.used:
            return [("refused", "place", oid, symbol, "MATCHING_DUPLICATE_ID", owner)]
        self.used.add(oid)
        self.prio += 1
        o = RefOrder(oid, owner, symbol, side, type, price, stop, qty or 0, 0, qty or 0, tif, stp, self.prio,
                     trail=trail or 0, peak=b.last if trail else None)  # fmt: skip
        ev: list[tuple] = []
        if type in ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"):
            if b.last is not None and self._cond(o, b.last):
                ev.append(self._oev(o, "REJECTED", 0, "MATCHING_WOULD_TRIGGER_IMMEDIATELY", 0))
            else:
                b.stops.append(o)
                ev.append(self._oev(o, "NEW", o.remaining, None, 0))
                if o.trail and o.peak is not None:
                    ev.append(self._trail_ev(o))
            return ev
        if type == "LIMIT_MAKER":
            best = self._best(b, "SELL" if side == "BUY" else "BUY")
            if best is not None and (price >= best if side == "BUY" else price <= best):
                ev.append(self._oev(o, "REJECTED", 0, "MATCHING_WOULD_TAKE", 0))
                return ev
        if type == "MARKET":
            o.tif = "IOC"
        prices = self._run_taker(b, o, quote, ev)
        self._after(b, prices, 0, ev)
        return ev

    def _after(self, b: RefBook, prices: list[int], start: int, ev: list[tuple]) -> None:
        """After a pass: touched OCO legs end their lists; trailing stops move price by price; triggered
        stops leave in priority order (each then ends its list) and run one by one, queueing more."""
        queue: list[RefOrder] = []
        while True:
            for e in list(ev[start:]):
                if e[0] == "order" and e[1] in self.oco:
                    self._end_list(b, e[1], "EXPIRED", ev)
            hit, moved = [], []
            for s in sorted(b.stops, key=lambda s: s.prio):
                peak0 = s.peak
                for p in prices:
                    if s.trail:
                        low = self._trail_low(s)
                        if s.peak is None or (p > s.peak if low else p < s.peak):
                            s.peak = p
                    if self._cond(s, p):
                        hit.append(s)
                        break
                else:
                    if s.peak != peak0:
                        moved.append(s)
            ev.extend(self._trail_ev(s) for s in moved)
            seq = b.seq
            for s in hit:
                b.stops.remove(s)
                s.triggered = True
                ev.append(("triggered", s.id, s.owner, s.symbol, s.side, self._trigger(s), seq))
                if s.id in self.oco:
                    self._end_list(b, s.id, "EXPIRED", ev)
                queue.append(s)
            if not queue:
                return
            s = queue.pop(0)
            self.prio += 1
            s.prio = self.prio
            start = len(ev)
            prices = self._run_taker(b, s, None, ev)

    @staticmethod
    def _trail_low(s: RefOrder) -> bool:
        return s.side == "SELL"  # trailing stops are STOP_LOSS_LIMIT: a SELL falls to its trigger

    def _trigger(self, s: RefOrder) -> int | None:
        """The tick price a trade must reach: the stop price, or the trailing bound rounded outward."""
        if not s.trail:
            return s.stop
        if s.peak is None:
            return None
        if self._trail_low(s):
            return math.floor(Fraction(s.peak * (10000 - s.trail), 10000))
        return math.ceil(Fraction(s.peak * (10000 + s.trail), 10000))

    def _trail_ev(self, s: RefOrder) -> tuple:
        return ("trail", s.id, s.owner, s.symbol, s.side, s.peak, self._trigger(s))

    def _end_list(self, b: RefBook, leg: int, status: str, ev: list[tuple]) -> None:
        other = self.oco.pop(leg)
        del self.oco[other]
        o = self._find(other, next(s for s, bk in self.books.items() if bk is b))
        assert o is not None
        seq = 0
        if o in b.stops:
            b.stops.remove(o)
        else:
            b.resting.remove(o)
            b.seq += 1
            seq = b.seq
        ev.append(self._oev(o, status, 0, "MATCHING_OCO_OTHER_LEG", seq))

    def place_oco(self, owner, symbol, side, qty, limit_id, price, stop_id, stop_limit, stop=None, trail=None,
                  stop_tif="GTC", stp="NONE"):  # fmt: skip
        b = self.books.get(symbol)
        if b is None:
            return [("refused", "place_oco", limit_id, symbol, "MATCHING_UNKNOWN_SYMBOL", owner)]
        reason = self._check("LIMIT_MAKER", qty, price, None, "GTC", None, None) or self._check(
            "STOP_LOSS_LIMIT", qty, stop_limit, stop, stop_tif, None, trail
        )
        if not reason and (limit_id == stop_id or limit_id in self.used or stop_id in self.used):
            reason = "MATCHING_DUPLICATE_ID"
        if not reason:
            s = RefOrder(stop_id, owner, symbol, side, "STOP_LOSS_LIMIT", stop_limit, stop, qty, 0, qty, stop_tif,
                         stp, 0, trail=trail or 0, peak=b.last if trail else None)  # fmt: skip
            trig = self._trigger(s)
            if trig is not None and (price <= trig if side == "SELL" else price >= trig):
                reason = "FILTER_OCO_PRICES"
        if reason:
            return [("refused", "place_oco", limit_id, symbol, reason, owner)]
        self.used |= {limit_id, stop_id}
        lim = RefOrder(
            limit_id, owner, symbol, side, "LIMIT_MAKER", price, None, qty, 0, qty, "GTC", stp, self.prio + 1
        )
        self.prio += 2
        s.prio = self.prio
        best = self._best(b, "SELL" if side == "BUY" else "BUY")
        takes = best is not None and (price >= best if side == "BUY" else price <= best)
        if takes:
            return [self._oev(lim, "REJECTED", 0, "MATCHING_WOULD_TAKE", 0),
                    self._oev(s, "REJECTED", 0, "MATCHING_OCO_OTHER_LEG", 0)]  # fmt: skip
        if b.last is not None and self._cond(s, b.last):
            return [self._oev(lim, "REJECTED", 0, "MATCHING_OCO_OTHER_LEG", 0),
                    self._oev(s, "REJECTED", 0, "MATCHING_WOULD_TRIGGER_IMMEDIATELY", 0)]  # fmt: skip
        b.resting.append(lim)
        b.seq += 1
        b.stops.append(s)
        self.oco[limit_id], self.oco[stop_id] = stop_id, limit_id
        ev = [self._oev(lim, "NEW", qty, None, b.seq), self._oev(s, "NEW", qty, None, 0)]
        if s.trail and s.peak is not None:
            ev.append(self._trail_ev(s))
        return ev

    def _check(self, type, qty, price, stop, tif, quote, trail=None):
        if trail is not None:
            if (
                type != "STOP_LOSS_LIMIT"
                or price is None
                or stop is not None
                or quote is not None
                or qty is None
            ):
                return "FILTER_BAD_PARAMS"
            if not (isinstance(trail, int) and not isinstance(trail, bool) and 1 <= trail <= 2000):
                return "FILTER_TRAILING_DELTA"
        elif type == "MARKET":
            if price is not None or stop is not None or tif == "FOK" or (qty is None) == (quote is None):
                return "FILTER_BAD_PARAMS"
            if quote is not None:
                return None if _int_ok(quote) else "FILTER_BAD_PARAMS"
        elif type in ("LIMIT", "LIMIT_MAKER"):
            if price is None or stop is not None or quote is not None or qty is None:
                return "FILTER_BAD_PARAMS"
            if type == "LIMIT_MAKER" and tif != "GTC":
                return "FILTER_BAD_PARAMS"
        else:
            if price is None or stop is None or quote is not None or qty is None:
                return "FILTER_BAD_PARAMS"
            if not _int_ok(stop):
                return "FILTER_TICK_SIZE"
        if price is not None and not _int_ok(price):
            return "FILTER_TICK_SIZE"
        if not _int_ok(qty):
            return "FILTER_LOT_SIZE"
        return None

    def _oev(self, o: RefOrder, status: str, remaining: int, reason: str | None, seq: int) -> tuple:
        return (
            "order",
            o.id,
            o.owner,
            o.symbol,
            o.side,
            o.price,
            status,
            o.filled,
            remaining,
            reason,
            seq,
            o.prio,
        )

    @staticmethod
    def _best(b: RefBook, side: str) -> int | None:
        ps = [o.price for o in b.resting if o.side == side]
        if not ps:
            return None
        return max(ps) if side == "BUY" else min(ps)  # type: ignore[type-var]

    def _cond(self, s: RefOrder, price: int) -> bool:
        if s.trail:  # the exact rational condition against the peak
            if s.peak is None:
                return False
            if self._trail_low(s):
                return Fraction(price) <= Fraction(s.peak) * (1 - Fraction(s.trail, 10000))
            return Fraction(price) >= Fraction(s.peak) * (1 + Fraction(s.trail, 10000))
        low = (s.side == "SELL") == (s.type == "STOP_LOSS_LIMIT")
        return price <= s.stop if low else price >= s.stop  # type: ignore[operator]

    def _run_taker(self, b: RefBook, o: RefOrder, quote: int | None, ev: list[tuple]) -> list[int]:
        """Match ``o``; append events; rest or end it. Returns the trade prices of this pass."""
        if o.tif == "FOK":
            tb = copy.deepcopy(b)
            t = copy.deepcopy(o)
            t.tif = "IOC"
            self._match(tb, t, None, [])  # a dry run on a copy of the book
            if t.filled < o.remaining:
                ev.append(self._oev(o, "EXPIRED", 0, "MATCHING_FOK_NOT_FILLABLE", 0))
                self._drop(b, o)
                return []
        prices, end = self._match(b, o, quote, ev)
        if end == "done" or (end == "budget" and o.filled > 0):
            ev.append(self._oev(o, "FILLED", 0, None, 0))
            self._drop(b, o)
        elif o.tif == "GTC" and end != "stp" and o.type != "MARKET":
            if o not in b.resting:
                b.resting.append(o)
            b.seq += 1
            ev.append(self._oev(o, "PARTIALLY_FILLED" if o.filled else "NEW", o.remaining, None, b.seq))
        else:
            ev.append(
                self._oev(o, "EXPIRED", 0, "MATCHING_STP" if end == "stp" else "MATCHING_NO_LIQUIDITY", 0)
            )
            self._drop(b, o)
        return prices

    @staticmethod
    def _drop(b: RefBook, o: RefOrder) -> None:
        if o in b.resting:
            b.resting.remove(o)

    def _match(self, b: RefBook, o: RefOrder, quote: int | None, ev: list[tuple]) -> tuple[list[int], str]:
        buy = o.side == "BUY"
        prices: list[int] = []
        spent = 0
        lots = o.remaining if quote is None else 10**30
        while True:
            if quote is None and lots == 0:
                return prices, "done"
            makers = sorted(
                (m for m in b.resting if m.side != o.side),
                key=lambda m: (m.price if buy else -m.price, m.prio),
            )
            if not makers:
                return prices, "limit"
            m = makers[0]
            if (
                o.price is not None
                and o.type != "MARKET"
                and (m.price > o.price if buy else m.price < o.price)
            ):
                return prices, "limit"
            cap = lots
            if quote is not None:
                cap = min(cap, (quote - spent) // m.price)
                if cap == 0:
                    return prices, "budget"
            if o.stp != "NONE" and m.owner == o.owner:
                if o.stp == "EXPIRE_TAKER":
                    return prices, "stp"
                b.resting.remove(m)
                b.seq += 1
                ev.append(self._oev(m, "EXPIRED", 0, "MATCHING_STP", b.seq))
                if o.stp == "EXPIRE_BOTH":
                    return prices, "stp"
                continue
            q = min(cap, m.remaining)
            b.seq += 1
            ev.append(("trade", o.symbol, b.seq, o.id, m.id, o.owner, m.owner, m.price, q, o.side))
            prices.append(m.price)
            b.last = m.price
            m.filled += q
            m.remaining -= q
            o.filled += q
            if quote is None:
                o.remaining -= q
            lots -= q
            spent += q * m.price
            if m.remaining == 0:
                b.resting.remove(m)
                ev.append(self._oev(m, "FILLED", 0, None, 0))
            else:
                ev.append(self._oev(m, "PARTIALLY_FILLED", m.remaining, None, 0))

    def cancel(self, oid: int, symbol: str) -> list[tuple]:
        o = self._find(oid, symbol)
        if o is None:
            return [("refused", "cancel", oid, symbol, "MATCHING_UNKNOWN_ORDER", None)]
        return self._cancel(self.books[symbol], o)

    def _cancel(self, b: RefBook, o: RefOrder) -> list[tuple]:
        if o in b.stops:
            b.stops.remove(o)
            ev = [self._oev(o, "CANCELED", 0, None, 0)]
        else:
            b.resting.remove(o)
            b.seq += 1
            ev = [self._oev(o, "CANCELED", 0, None, b.seq)]
        if o.id in self.oco:
            self._end_list(b, o.id, "CANCELED", ev)
        return ev

    def amend(self, oid: int, symbol: str, new: int) -> list[tuple]:
        o = self._find(oid, symbol)
        if o is None:
            return [("refused", "amend", oid, symbol, "MATCHING_UNKNOWN_ORDER", None)]
        if not 0 < new < o.remaining:
            return [("refused", "amend", oid, symbol, "MATCHING_BAD_AMEND", None)]
        b = self.books[symbol]
        legs = [o] if oid not in self.oco else [o, self._find(self.oco[oid], symbol)]
        ev = []
        for leg in legs:
            assert leg is not None
            leg.remaining = new
            seq = 0
            if leg in b.resting:
                b.seq += 1
                seq = b.seq
            ev.append(self._oev(leg, "PARTIALLY_FILLED" if leg.filled else "NEW", new, None, seq))
        return ev

    def cancel_all(self, owner: int, symbol: str, side: str | None = None) -> list[tuple]:
        b = self.books.get(symbol)
        if b is None:
            return [("refused", "cancel_all", None, symbol, "MATCHING_UNKNOWN_SYMBOL", owner)]
        mine = sorted(
            (o for o in b.resting + b.stops if o.owner == owner and (side is None or o.side == side)),
            key=lambda o: o.prio,
        )
        ev: list[tuple] = []
        for o in mine:
            if o in b.resting or o in b.stops:  # not already canceled as the other leg of an OCO list
                ev += self._cancel(b, o)
        return ev
