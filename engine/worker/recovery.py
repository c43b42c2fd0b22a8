"""Recovery is a rebuild (ARCHITECTURE decision 4): the worker's whole state from the database.

Balances, open orders in their original time priority, waiting stops, pending withdrawals' holds, last prices and sequence
counters are loaded into a fresh core `Exchange`, which then equals the one that wrote them:
`verify_ledger` and the crash tests compare state hashes to prove it.
"""

import gc
import logging
import time

from django.conf import settings
from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import Asset, Balance, User
from accounts.money import from_atoms, to_atoms
from engine.core import STP, Exchange, InstrumentSpec, OrderType, Side, TimeInForce
from engine.models import SymbolState
from engine.worker import oco
from engine.worker.positions import PositionState
from engine.worker.records import Market, OrderRecord
from engine.worker.state import WorkerState
from engine.worker.timers import ms_of, timers_load
from engine.worker.withdrawals import withdrawal_book_load, withdrawal_holds_restore
from trading.models import OPEN_STATUSES, Instrument, Order, Position, Trade

log = logging.getLogger("quantx.engine")


def fee_user() -> User:
    """The account that collects trading fees (cannot log in)."""
    user, created = User.objects.get_or_create(
        username=settings.ENGINE_FEE_USERNAME, defaults={"is_active": False, "first_name": "QuantX fees"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def market_from(instrument: Instrument) -> Market:
    spec = InstrumentSpec(
        symbol=instrument.symbol, tick_size=instrument.tick_size.normalize(), lot_size=instrument.lot_size.normalize(),
        base=instrument.base.code, quote=instrument.quote.code,
        maker_fee=instrument.maker_fee, taker_fee=instrument.taker_fee,
    )  # fmt: skip
    return Market(instrument.id, instrument.symbol, spec, instrument.status, instrument.min_qty,
                  instrument.max_qty, instrument.min_notional)  # fmt: skip


def exchange_load(
    *, with_orders: bool = True
) -> tuple[Exchange, dict[str, Market], dict[int, OrderRecord], int]:
    """A core Exchange rebuilt from the database, its markets and open-order records."""
    fees = fee_user()
    exchange = Exchange(fee_owner=fees.id)
    markets: dict[str, Market] = {}
    for instrument in Instrument.objects.select_related("base", "quote").order_by("id"):
        market = markets[instrument.symbol] = market_from(instrument)
        exchange.add_instrument(market.spec)
    by_id = {m.id: m for m in markets.values()}
    for counter in SymbolState.objects.all():
        market = by_id[counter.instrument_id]
        last = None if counter.last_price is None else market.spec.price_to_ticks(counter.last_price)
        exchange.restore_market(market.symbol, seq=counter.seq, last_price=last)
    for balance in Balance.objects.select_related("asset").iterator(chunk_size=5000):
        exchange.restore_balance(
            balance.user_id, balance.asset.code, to_atoms(balance.free), to_atoms(balance.locked)
        )
    withdrawal_holds_restore(exchange)
    records: dict[int, OrderRecord] = {}
    if with_orders:
        records = _restore_orders(exchange, by_id)
    exchange.restore_priority_counter(Order.objects.aggregate(m=Max("seq"))["m"] or 0)
    return exchange, markets, records, fees.id


_MONEY = ("price", "stop_price", "qty", "quote_qty", "remaining", "filled", "quote_filled", "trail_peak",
          "trigger_price")  # fmt: skip
_PLAIN = ("id", "user_id", "instrument_id", "client_order_id", "side", "type", "tif", "stp", "status", "reason",
          "seq", "triggered", "triggered_at", "order_list_id", "trailing_delta")  # fmt: skip
_SIDES = {s.value: s for s in Side}
_TYPES = {t.value: t for t in OrderType}
_TIFS = {t.value: t for t in TimeInForce}
_STPS = {s.value: s for s in STP}


def _restore_orders(exchange: Exchange, markets: dict[int, Market]) -> dict[int, OrderRecord]:
    """Open orders and waiting stops back into the books, in time priority.

    The hot loop of recovery (100,000 orders in well under 5 s): amounts are read as raw integer
    atoms (CAST skips the MoneyField converter) and divided into ticks and lots exactly; the times
    are left out (a record loads its created_at when a reply needs it, see OrderRecord).
    """
    steps = {mid: (to_atoms(m.spec.tick_size), to_atoms(m.spec.lot_size)) for mid, m in markets.items()}
    rows = (
        Order.objects.filter(status__in=OPEN_STATUSES)
        .order_by("seq")
        .values_list(*_PLAIN, *(Cast(f, BigIntegerField()) for f in _MONEY))
    )
    records: dict[int, OrderRecord] = {}
    for (oid, user_id, instrument_id, coid, side, type_, tif, stp, status, reason, seq, triggered, triggered_at,
         list_id, trailing_delta, price, stop_price, qty, quote_qty, remaining, filled, quote_filled, peak,
         trigger) in rows.iterator(5000):  # fmt: skip
        market = markets[instrument_id]
        tick, lot = steps[instrument_id]
        if price % tick or qty % lot or remaining % lot or filled % lot or (stop_price or 0) % tick:
            raise RuntimeError(f"order {oid}: amounts off the instrument's tick or lot")
        exchange.restore_order(
            order_id=oid, owner=user_id, symbol=market.symbol, side=_SIDES[side], type=_TYPES[type_],
            qty=qty // lot, filled=filled // lot, remaining=remaining // lot, price=price // tick, priority=seq,
            stop_price=None if stop_price is None else stop_price // tick, tif=_TIFS[tif], stp=_STPS[stp],
            triggered=triggered, trailing_delta=trailing_delta, trail_peak=oco.peak_ticks(peak, tick),
        )  # fmt: skip
        records[oid] = OrderRecord(
            oid, user_id, instrument_id, market.symbol, coid, side, type_, tif, stp, from_atoms(price),
            None if stop_price is None else from_atoms(stop_price), from_atoms(qty),
            None if quote_qty is None else from_atoms(quote_qty), from_atoms(remaining), from_atoms(filled),
            from_atoms(quote_filled), status, reason, seq, triggered, None, None, list_id, trailing_delta,
            oco.money(peak), oco.money(trigger), triggered_at,
        )  # fmt: skip
    oco.links_restore(exchange, records)
    return records


def state_load() -> WorkerState:
    started = time.perf_counter()
    exchange, markets, records, fee_user_id = exchange_load()
    positions = {
        (p.user_id, p.instrument_id): PositionState(p.qty, p.avg_price, p.realized_pnl)
        for p in Position.objects.all()
    }
    state = WorkerState(
        ex=exchange,
        markets=markets,
        assets=dict(Asset.objects.values_list("code", "id")),
        orders=records,
        positions=positions,
        next_order_id=(Order.objects.aggregate(m=Max("id"))["m"] or 0) + 1,
        next_trade_id=(Trade.objects.aggregate(m=Max("id"))["m"] or 0) + 1,
        fee_user_id=fee_user_id,
    )
    oco.lists_load(state)
    state.withdrawals = withdrawal_book_load()

    state.timers = timers_load(ms_of(timezone.now()))
    gc.collect()
    gc.freeze()  # the rebuilt books are long-lived: keep them out of every later GC pass (pauses)
    problems = exchange.check_invariants()
    if problems:
        raise RuntimeError(f"engine state rebuilt from the database is inconsistent: {problems[:5]}")
    log.info(
        "engine: recovered %d open orders, %d markets in %.3f s; state hash %s",
        len(records), len(markets), time.perf_counter() - started, exchange.state_hash(),
    )  # fmt: skip
    return state


def market_reload(state: WorkerState, symbol: str) -> None:
    """Applies a staff edit of an instrument (status, filters, fees) or adds a new instrument."""
    instrument = Instrument.objects.select_related("base", "quote").get(symbol=symbol)
    market = market_from(instrument)
    if symbol not in state.markets:
        state.ex.add_instrument(market.spec)
    else:
        state.ex.update_instrument(market.spec)
    if market.base not in state.assets or market.quote not in state.assets:
        state.assets.update(dict(Asset.objects.values_list("code", "id")))
    state.markets[symbol] = market
    state.markets_by_id[market.id] = market
