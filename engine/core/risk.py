"""Exchange: balances and risk around the MatchingEngine (risk -> match -> settle, in memory).

Written by the lead engineer so the worker could be built in parallel (docs/engine-worker.md and
engine/worker/state.py depend on this API); reviewed, tested (tests/engine/core/test_risk*.py) and extended
by the core: parameters are checked before any hold, per-asset conservation is tracked and checked,
``validate()`` covers the money invariants.

Balances are integer atoms (1e-8) per (owner, asset): ``free`` and ``locked``. A new order holds
funds before it reaches the book, and every balance change is emitted as a ``BalanceEvent``, one
ledger entry each, so the sum of the events is the balances, exactly:

- BUY LIMIT / LIMIT_MAKER / stop: holds limit price x qty of quote. A fill at a better (maker) price
  releases the difference at once, so a buy order's hold is always limit x remaining.
- SELL (any type but MARKET by quote amount): holds qty of base.
- MARKET BUY by ``quote_qty``: holds that budget. MARKET by base qty, and MARKET SELL by quote
  amount: holds exactly what matching will take, computed by walking the book (STP included).
- Not enough free -> Refused(RISK_INSUFFICIENT_FUNDS) and nothing changes.
- On a trade the buyer's locked quote pays the seller, the seller's locked base goes to the buyer;
  each side pays its fee (maker/taker rate) on the asset it receives, rounded UP to the atom, to
  the fee account ``fee_owner``.
- When an order ends (filled, canceled, expired, rejected) what is left of its hold is released;
  an amend releases the part it removed.
- An OCO list has ONE hold for both legs (they can never both fill): a SELL holds qty of base, a
  BUY the higher of the two legs' limit prices x qty. When one leg ends (the list ends), the hold
  passes to the other leg, shrunk to what that leg alone needs (the difference is released).
- A withdrawal holds its amount (free -> locked) until it is completed (the amount less its fee
  leaves, the fee goes to ``fee_owner``) or released: engine/core/withdrawals.py.
- Every accepted order gets its ORDER_HOLD first (when > 0), before the matching events; one that
  ends at once (REJECTED, FOK/IOC/MARKET that found nothing) gets the matching ORDER_RELEASE.

Conservation: trades, fees, holds and releases only move atoms between accounts, so per asset
``sum(free + locked) == deposits - withdrawals + adjustments`` (+ restored balances after recovery).
"""

from typing import Any

from engine.core.engine import MatchingEngine
from engine.core.enums import (
    BUY,
    MARKET,
    STP,
    BalanceReason,
    OrderStatus,
    OrderType,
    Reason,
    Side,
    TimeInForce,
)
from engine.core.events import BalanceEvent, Event, OrderEvent, Refused, TradeEvent
from engine.core.holds import Hold, Market, fee_atoms, fee_rate
from engine.core.risk_views import ExchangeViews
from engine.core.spec import InstrumentSpec
from engine.core.withdrawals import WithdrawalHold, WithdrawalHolds

_HOLD = BalanceReason.ORDER_HOLD
_RELEASE = BalanceReason.ORDER_RELEASE
_TRADE = BalanceReason.TRADE
_FEE = BalanceReason.FEE
_TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED})
_HUGE = 1 << 62


class Exchange(ExchangeViews, WithdrawalHolds):
    """Books and balances of the exchange. Single-threaded; deterministic."""

    def __init__(self, fee_owner: int = 0) -> None:
        self.matching = MatchingEngine()
        self.fee_owner = fee_owner
        self._markets: dict[str, Market] = {}
        self._balances: dict[tuple[int, str], list[int]] = {}  # (owner, asset) -> [free, locked]
        self._holds: dict[int, Hold] = {}
        self._external: dict[str, int] = {}  # asset -> deposits - withdrawals + adjustments + restored
        self._withdrawal_holds: dict[
            int, WithdrawalHold
        ] = {}  # pending withdrawals (engine.core.withdrawals)

    # ------------------------------------------------------------------ set-up

    def add_instrument(self, spec: InstrumentSpec) -> None:
        if not spec.base or not spec.quote:
            raise ValueError(f"{spec.symbol}: an Exchange instrument needs base and quote assets")
        self.matching.add_instrument(spec)
        self._markets[spec.symbol] = self._market(spec)

    def update_instrument(self, spec: InstrumentSpec) -> None:
        """New fee rates for a symbol; tick, lot and assets cannot change while it has a book."""
        old = self._markets[spec.symbol].spec
        if (old.tick_size, old.lot_size, old.base, old.quote) != (
            spec.tick_size,
            spec.lot_size,
            spec.base,
            spec.quote,
        ):
            raise ValueError(f"{spec.symbol}: tick, lot and assets cannot change")
        self._markets[spec.symbol] = self._market(spec)

    @staticmethod
    def _market(spec: InstrumentSpec) -> Market:
        assert spec.base and spec.quote
        return Market(spec, spec.base, spec.quote, spec.lot_atoms(), spec.unit_atoms(),
                       fee_rate(spec.maker_fee), fee_rate(spec.taker_fee))  # fmt: skip

    # ------------------------------------------------------------------ money in and out

    def deposit(self, owner: int, asset: str, atoms: int, ref: str | None = None) -> list[Event]:
        if type(atoms) is not int or atoms <= 0:
            return [Refused("deposit", None, None, Reason.RISK_BAD_AMOUNT, owner)]
        self._flow(asset, atoms)
        return [self._change(owner, asset, atoms, 0, BalanceReason.DEPOSIT, ref=ref)]

    def adjust(self, owner: int, asset: str, atoms: int, ref: str | None = None) -> list[Event]:
        """A signed staff change of the free balance; it cannot make free negative."""
        if type(atoms) is not int or atoms == 0:
            return [Refused("adjust", None, None, Reason.RISK_BAD_AMOUNT, owner)]
        if self.balance(owner, asset)[0] + atoms < 0:
            return [Refused("adjust", None, None, Reason.RISK_INSUFFICIENT_FUNDS, owner)]
        self._flow(asset, atoms)
        return [self._change(owner, asset, atoms, 0, BalanceReason.ADJUSTMENT, ref=ref)]

    def balance(self, owner: int, asset: str) -> tuple[int, int]:
        free, locked = self._balances.get((owner, asset), (0, 0))
        return free, locked

    def balances(self) -> dict[tuple[int, str], tuple[int, int]]:
        return {k: (v[0], v[1]) for k, v in self._balances.items()}

    def _change(self, owner: int, asset: str, free: int, locked: int, reason: BalanceReason, *,
                order_id: int | None = None, trade_seq: int | None = None, ref: str | None = None) -> BalanceEvent:  # fmt: skip
        row = self._balances.get((owner, asset))
        if row is None:
            row = self._balances[(owner, asset)] = [0, 0]
        row[0] += free
        row[1] += locked
        return BalanceEvent(owner, asset, free, locked, reason, order_id, trade_seq, ref)

    # ------------------------------------------------------------------ orders

    def place(
        self,
        order_id: int,
        owner: int,
        symbol: str,
        side: Side,
        type: OrderType,
        qty: int | None,
        price: int | None = None,
        stop_price: int | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        stp: STP = STP.NONE,
        quote_qty: int | None = None,
        trailing_delta: int | None = None,
    ) -> list[Event]:
        """MatchingEngine.place with funds held first and every fill settled (see module docstring).

        Filter and matching refusals come first (as ``MatchingEngine.place`` gives them), then the
        funds check (RISK_INSUFFICIENT_FUNDS); a refused place changes nothing.
        """
        admitted = self.place_check(
            order_id, owner, symbol, side, type, qty, price, stop_price, tif, stp, quote_qty, trailing_delta
        )
        if not isinstance(admitted, tuple):
            return [Refused("place", order_id, symbol, admitted, owner)]
        asset, hold = admitted
        m = self._markets[symbol]
        is_buy = side is BUY
        remaining = qty if qty is not None else _HUGE
        self._holds[order_id] = Hold(owner, symbol, asset, hold, is_buy, price if is_buy and type is not MARKET else None,
                                      remaining)  # fmt: skip
        out: list[Event] = [self._change(owner, asset, -hold, hold, _HOLD, order_id=order_id)] if hold else []
        inner = self.matching.place(
            order_id, owner, symbol, side, type, qty, price, stop_price, tif, stp, quote_qty, trailing_delta
        )
        assert not isinstance(inner[0], Refused), inner  # check_place said it would be accepted
        self._settle(m, inner, out)
        return out

    def place_check(
        self,
        order_id: int,
        owner: int,
        symbol: str,
        side: Side,
        type: OrderType,
        qty: int | None,
        price: int | None = None,
        stop_price: int | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        stp: STP = STP.NONE,
        quote_qty: int | None = None,
        trailing_delta: int | None = None,
    ) -> Reason | tuple[str, int]:
        """What ``place`` decides before matching, and changes nothing: the reason it would refuse
        with, or the hold it would take, (asset, atoms), against the owner's free balance now.

        ``place`` runs exactly this; a test order (``engine.core.whatif``) too.
        """
        bad = self.matching.check_place(
            order_id, symbol, side, type, qty, price, stop_price, tif, stp, quote_qty, trailing_delta
        )
        if bad is not None:
            return bad
        m = self._markets[symbol]
        is_buy = side is BUY
        hold = self._hold_needed(m, symbol, owner, is_buy, type, qty, price, stp, quote_qty)
        asset = m.quote if is_buy else m.base
        if self.balance(owner, asset)[0] < hold:
            return Reason.RISK_INSUFFICIENT_FUNDS
        return asset, hold

    def market(self, symbol: str) -> Market:
        """The money facts of a symbol (assets, atoms per lot and unit, fee rates); KeyError if unknown."""
        return self._markets[symbol]

    def place_oco(
        self,
        owner: int,
        symbol: str,
        side: Side,
        qty: int,
        limit_id: int,
        price: int,
        stop_id: int,
        stop_limit_price: int,
        stop_price: int | None = None,
        *,
        trailing_delta: int | None = None,
        stop_tif: TimeInForce = TimeInForce.GTC,
        stp: STP = STP.NONE,
    ) -> list[Event]:
        """MatchingEngine.place_oco with ONE hold for the list (module docstring): refusals as
        ``check_oco`` gives them, then RISK_INSUFFICIENT_FUNDS; the ORDER_HOLD names ``limit_id``."""
        kw: dict[str, Any] = {"trailing_delta": trailing_delta, "stop_tif": stop_tif, "stp": stp}
        args = (symbol, side, qty, limit_id, price, stop_id, stop_limit_price, stop_price)
        bad = self.matching.check_oco(*args, **kw)
        if bad is not None:
            return [Refused("place_oco", limit_id, symbol, bad, owner)]
        m = self._markets[symbol]
        is_buy = side is BUY
        top = max(price, stop_limit_price)
        hold = top * qty * m.unit_atoms if is_buy else qty * m.lot_atoms
        asset = m.quote if is_buy else m.base
        if self.balance(owner, asset)[0] < hold:
            return [Refused("place_oco", limit_id, symbol, Reason.RISK_INSUFFICIENT_FUNDS, owner)]
        h = Hold(owner, symbol, asset, hold, is_buy, top if is_buy else None, qty,
                  {limit_id: price, stop_id: stop_limit_price})  # fmt: skip
        self._holds[limit_id] = self._holds[stop_id] = h
        out: list[Event] = [self._change(owner, asset, -hold, hold, _HOLD, order_id=limit_id)]
        inner = self.matching.place_oco(owner, *args, **kw)
        assert not isinstance(inner[0], Refused), inner
        self._settle(m, inner, out)
        return out

    def cancel(self, order_id: int, symbol: str) -> list[Event]:
        return self._with_settlement(symbol, self.matching.cancel(order_id, symbol))

    def amend(self, order_id: int, symbol: str, new_remaining: int) -> list[Event]:
        return self._with_settlement(symbol, self.matching.amend(order_id, symbol, new_remaining))

    def cancel_all(self, owner: int, symbol: str, side: Side | None = None) -> list[Event]:
        return self._with_settlement(symbol, self.matching.cancel_all(owner, symbol, side))

    def _with_settlement(self, symbol: str, inner: list[Event]) -> list[Event]:
        m = self._markets.get(symbol)
        if m is None:
            return inner
        out: list[Event] = []
        self._settle(m, inner, out)
        return out

    def _hold_needed(self, m: Market, symbol: str, owner: int, is_buy: bool, type: OrderType, qty: int | None,
                     price: int | None, stp: STP, quote_qty: int | None) -> int:  # fmt: skip
        """Atoms to hold for valid parameters (``check_place`` passed)."""
        if type is MARKET:
            if is_buy and quote_qty is not None:
                return quote_qty * m.unit_atoms
            lots, units = self.matching.preview(
                symbol, BUY if is_buy else Side.SELL, owner, stp, lots=qty, budget=quote_qty
            )
            return units * m.unit_atoms if is_buy else lots * m.lot_atoms
        assert qty is not None and price is not None
        return price * qty * m.unit_atoms if is_buy else qty * m.lot_atoms

    def _settle(self, m: Market, inner: list[Event], out: list[Event]) -> None:
        """Copies the matching events to ``out`` with the balance events each one causes."""
        holds = self._holds
        for e in inner:
            out.append(e)
            if isinstance(e, TradeEvent):
                self._trade(m, e, out)
            elif isinstance(e, OrderEvent):
                h = holds.get(e.order_id)
                if h is None:
                    continue
                if e.status in _TERMINAL:
                    del holds[e.order_id]
                    if h.legs is not None:  # a list ends: the hold passes to the other leg
                        self._pass_on(m, h, e.order_id, out)
                        continue
                    if h.atoms:
                        out.append(
                            self._change(h.owner, h.asset, h.atoms, -h.atoms, _RELEASE, order_id=e.order_id)
                        )
                elif e.remaining < h.remaining:  # amended away
                    cut = h.remaining - e.remaining
                    atoms = cut * (
                        h.price * m.unit_atoms if h.is_buy and h.price is not None else m.lot_atoms
                    )
                    h.remaining = e.remaining
                    h.atoms -= atoms
                    out.append(self._change(h.owner, h.asset, atoms, -atoms, _RELEASE, order_id=e.order_id))

    def _pass_on(self, m: Market, h: Hold, ended: int, out: list[Event]) -> None:
        """Leg ``ended`` of a shared hold ended: the other leg keeps the hold, shrunk to its own need."""
        assert h.legs is not None
        other = next(k for k in h.legs if k != ended)
        price = h.legs[other]
        h.legs = None
        if h.is_buy and h.price is not None and price < h.price:
            cut = (h.price - price) * h.remaining * m.unit_atoms
            h.price = price
            if cut:
                h.atoms -= cut
                out.append(self._change(h.owner, h.asset, cut, -cut, _RELEASE, order_id=ended))

    def _trade(self, m: Market, t: TradeEvent, out: list[Event]) -> None:
        base_atoms = t.qty * m.lot_atoms
        quote_atoms = t.price * t.qty * m.unit_atoms
        taker_buys = t.taker_side is BUY
        buyer_id, seller_id = (t.taker_id, t.maker_id) if taker_buys else (t.maker_id, t.taker_id)
        buyer, seller = (t.taker_owner, t.maker_owner) if taker_buys else (t.maker_owner, t.taker_owner)
        buy_rate, sell_rate = (m.taker, m.maker) if taker_buys else (m.maker, m.taker)
        seq = t.seq
        bh = self._holds.get(buyer_id)
        sh = self._holds.get(seller_id)
        # buyer pays quote from its hold, receives base
        out.append(self._change(buyer, m.quote, 0, -quote_atoms, _TRADE, order_id=buyer_id, trade_seq=seq))
        out.append(self._change(buyer, m.base, base_atoms, 0, _TRADE, order_id=buyer_id, trade_seq=seq))
        if bh is not None:
            bh.atoms -= quote_atoms
            bh.remaining -= t.qty
            if bh.price is not None and bh.price > t.price:  # filled better than its limit: release the gap
                gap = (bh.price - t.price) * t.qty * m.unit_atoms
                bh.atoms -= gap
                out.append(self._change(buyer, m.quote, gap, -gap, _RELEASE, order_id=buyer_id))
        # seller delivers base from its hold, receives quote
        out.append(self._change(seller, m.base, 0, -base_atoms, _TRADE, order_id=seller_id, trade_seq=seq))
        out.append(self._change(seller, m.quote, quote_atoms, 0, _TRADE, order_id=seller_id, trade_seq=seq))
        if sh is not None:
            sh.atoms -= base_atoms
            sh.remaining -= t.qty
        for payer, asset, received, rate, oid in (
            (buyer, m.base, base_atoms, buy_rate, buyer_id),
            (seller, m.quote, quote_atoms, sell_rate, seller_id),
        ):
            fee = fee_atoms(received, rate)
            if fee:
                out.append(self._change(payer, asset, -fee, 0, _FEE, order_id=oid, trade_seq=seq))
                out.append(self._change(self.fee_owner, asset, fee, 0, _FEE, order_id=oid, trade_seq=seq))
