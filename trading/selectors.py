"""Reads of trading data. Views and APIs call these; they never query models directly.

Every read of orders and trades is scoped to one user: another user's order is, for you, an order
that does not exist (404, code -2013), never a 403 that would confirm its id.

Instruments are read on every order request, so `instrument_get` answers from a per-process copy
of the (small) instrument table instead of the database. The copy is dropped when
- the engine's replies carry a new `instruments_version` (it reloaded an instrument or changed a
  status: the engine client calls the listener trading.apps registers, engine.client.on_instruments_version),
- this process saves or deletes an instrument (admin, staff actions: `instruments_cache_clear`),
- it is older than `INSTRUMENT_CACHE_SECONDS` (QX_INSTRUMENT_CACHE_SECONDS, default 5; 0 turns the
  cache off): the backstop for a change this process could not hear of.
A symbol missing from the copy is looked up in the database, so a new instrument is seen at once.
The engine checks status and filters again whatever the web side saw, so a stale copy never lets
through an order the engine would refuse; at worst it refuses, for that long, one the engine would
now accept (a resumed instrument, a relaxed filter).
"""

import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Q, QuerySet
from rest_framework import status

from accounts.models import User
from quantx_site.errors import ApiError, ErrorCode
from quantx_site.time_range import time_range_filter
from trading.models import Instrument, Order, Side, Trade

MAX_ID = 2**63 - 1
"""Ids are positive BIGINTs; a larger number in a URL is simply not an order (and must never reach
the database, which would overflow)."""

LIQUIDITY_MAKER = "MAKER"
LIQUIDITY_TAKER = "TAKER"


def instrument_list() -> QuerySet[Instrument]:
    return Instrument.objects.select_related("base", "quote").order_by("symbol")


def instrument_get(*, symbol: str) -> Instrument:
    """The instrument with this exact symbol, or ApiError 400 -1121 (cached: see the module docstring).

    The instance may be shared with other requests of this process: read it, never change it.
    """
    instrument = _instruments().get(symbol)
    if instrument is None:
        instrument = instrument_list().filter(symbol=symbol).first()
        if instrument is None:
            raise ApiError(ErrorCode.BAD_SYMBOL, f"symbol: Invalid symbol {symbol!r}.", field="symbol")
        instruments_cache_clear()  # created since the copy was taken: take a fresh one next time
    return instrument


@dataclass(frozen=True)
class _InstrumentSnapshot:
    by_symbol: dict[str, Instrument]
    expires: float


_snapshot: _InstrumentSnapshot | None = None
_generation = 0  # bumped by every clear, so a load that raced with a clear is not kept
clock = time.monotonic
"""The cache's clock (tests move it)."""


def _instruments() -> dict[str, Instrument]:
    global _snapshot
    snapshot, now = _snapshot, clock()
    if snapshot is None or now >= snapshot.expires:
        generation, ttl = _generation, settings.INSTRUMENT_CACHE_SECONDS
        by_symbol = {i.symbol: i for i in instrument_list()} if ttl > 0 else {}
        snapshot = _InstrumentSnapshot(by_symbol, now + ttl)
        if generation == _generation:
            _snapshot = snapshot
    return snapshot.by_symbol


def instruments_cache_clear() -> None:
    """Drops this process's copy of the instruments; the next `instrument_get` reloads it."""
    global _snapshot, _generation
    _generation += 1
    _snapshot = None


def _orders_of(user: User) -> QuerySet[Order]:
    # `symbol` annotated (one JOIN) so order rows and engine replies serialize alike, with no N+1.
    return Order.objects.filter(user=user).annotate(symbol=F("instrument__symbol"))


def order_list(
    *,
    user: User,
    symbol: str | None = None,
    statuses: Collection[str] | None = None,
    side: str | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> QuerySet[Order]:
    """The user's orders, newest first, optionally of one symbol (unknown: 400 -1121), some
    statuses, one side, placed in a time range (ms, both ends inclusive: quantx_site.time_range)."""
    orders = _orders_of(user)
    if symbol is not None:
        orders = orders.filter(instrument=instrument_get(symbol=symbol))
    if statuses is not None:
        orders = orders.filter(status__in=list(statuses))
    if side is not None:
        orders = orders.filter(side=side)
    orders = time_range_filter(orders, field="created_at", start_ms=start_ms, end_ms=end_ms)
    return orders.order_by("-id")


def order_get(*, user: User, order_id: int) -> Order:
    """The user's order with this id, or ApiError 404 -2013 (also when it is someone else's)."""
    order_id_check(order_id)
    order = _orders_of(user).filter(id=order_id).first()
    if order is None:
        raise _no_such_order()
    return order


def order_id_check(order_id: int) -> None:
    """ApiError 404 -2013 for a number that cannot be an order id (and must not reach the database
    or the engine)."""
    if not 0 < order_id <= MAX_ID:
        raise _no_such_order()


def order_find_by_client_id(*, user: User, client_order_id: str) -> Order | None:
    return _orders_of(user).filter(client_order_id=client_order_id).first()


def order_get_by_client_id(*, user: User, client_order_id: str) -> Order:
    """The user's order with this client order id, or ApiError 404 -2013."""
    order = order_find_by_client_id(user=user, client_order_id=client_order_id)
    if order is None:
        raise _no_such_order()
    return order


def _no_such_order() -> ApiError:
    return ApiError(ErrorCode.NO_SUCH_ORDER, "Order does not exist.", status_code=status.HTTP_404_NOT_FOUND)


@dataclass(frozen=True)
class Fill:
    """One trade seen from one of its sides (the user's)."""

    trade_id: int
    order_id: int
    symbol: str
    side: str
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    fee: Decimal
    fee_asset: str
    liquidity: str
    time: datetime


def trade_list(
    *,
    user: User,
    symbol: str | None = None,
    order_id: int | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> QuerySet[Trade]:
    """Trades the user took part in (as taker, maker or both), newest first, optionally of one symbol
    (unknown: 400 -1121), one of the user's orders, or a time range (ms, both ends inclusive:
    quantx_site.time_range); turn a page of them into rows with `fills_of`."""
    mine = Q(taker=user) | Q(maker=user)
    if order_id is not None:
        mine = Q(taker=user, taker_order_id=order_id) | Q(maker=user, maker_order_id=order_id)
    trades = Trade.objects.filter(mine).select_related("instrument__base", "instrument__quote")
    if symbol is not None:
        trades = trades.filter(instrument=instrument_get(symbol=symbol))
    trades = time_range_filter(trades, field="created_at", start_ms=start_ms, end_ms=end_ms)
    return trades.order_by("-id")


def fills_of(trades: Iterable[Trade], *, user: User, order_id: int | None = None) -> list[Fill]:
    """The user's side of each trade: one row, or two (taker first) for a self-trade.

    The fee is in the asset the user received: base when buying, quote when selling.
    """
    rows = []
    for trade in trades:
        instrument = trade.instrument
        sides = (
            (trade.taker_id, trade.taker_order_id, trade.taker_side, trade.taker_fee, LIQUIDITY_TAKER),
            (trade.maker_id, trade.maker_order_id, trade.maker_side, trade.maker_fee, LIQUIDITY_MAKER),
        )
        for owner_id, own_order_id, side, fee, liquidity in sides:
            if owner_id != user.pk or (order_id is not None and own_order_id != order_id):
                continue
            fee_asset = instrument.base.code if side == Side.BUY else instrument.quote.code
            rows.append(
                Fill(
                    trade_id=trade.id,
                    order_id=own_order_id,
                    symbol=instrument.symbol,
                    side=side,
                    price=trade.price,
                    qty=trade.qty,
                    quote_qty=trade.quote_qty,
                    fee=fee,
                    fee_asset=fee_asset,
                    liquidity=liquidity,
                    time=trade.created_at,
                )
            )
    return rows
