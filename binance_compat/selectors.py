"""Reads the facade needs in Binance's terms (ranges by id and time, ascending pages), composed from
the trading and market-data selectors: the same rows, scoped to the user the same way."""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from rest_framework import status

from accounts.models import User
from marketdata.candles import ms_to_datetime
from marketdata.selectors import trade_wire
from quantx_site.errors import ApiError, ErrorCode
from trading import order_lists
from trading import selectors as trading
from trading.models import OPEN_STATUSES, Instrument, Order, OrderList, OrderListStatus, Trade


def _time_range(
    rows: QuerySet[Any], start: int | None, end: int | None, field: str = "created_at"
) -> QuerySet[Any]:
    if start is not None:
        rows = rows.filter(**{f"{field}__gte": ms_to_datetime(start)})
    if end is not None:
        rows = rows.filter(**{f"{field}__lte": ms_to_datetime(end)})
    return rows


def _page(rows: QuerySet[Any], *, from_id: int | None, limit: int, field: str = "id") -> list[Any]:
    """Ascending: from `from_id` on, or the newest `limit` rows."""
    if from_id is not None:
        return list(rows.filter(**{f"{field}__gte": from_id}).order_by(field)[:limit])
    newest = list(rows.order_by(f"-{field}")[:limit])
    newest.reverse()
    return newest


def public_trades(
    *, instrument: Instrument, from_id: int | None = None, start: int | None = None, end: int | None = None,
    limit: int,
) -> list[dict[str, Any]]:  # fmt: skip
    """Public trades of one symbol, oldest first (marketdata.selectors.trade_wire rows)."""
    rows = _time_range(Trade.objects.filter(instrument=instrument), start, end)
    return [trade_wire(t) for t in _page(rows, from_id=from_id, limit=limit)]


def orders_of(
    *, user: User, instrument: Instrument, open_only: bool = False, from_id: int | None = None,
    start: int | None = None, end: int | None = None, limit: int = 1000,
) -> list[Order]:  # fmt: skip
    """The user's orders on one symbol (trading.selectors.order_list), oldest first."""
    statuses = OPEN_STATUSES if open_only else None
    rows = _time_range(trading.order_list(user=user, symbol=instrument.symbol, statuses=statuses), start, end)
    return _page(rows, from_id=from_id, limit=limit)


def open_orders(*, user: User, instrument: Instrument | None) -> list[Order]:
    rows = trading.order_list(
        user=user, symbol=instrument.symbol if instrument else None, statuses=OPEN_STATUSES
    )
    return list(rows.order_by("id"))


def my_fills(
    *, user: User, instrument: Instrument, order_id: int | None = None, from_id: int | None = None,
    start: int | None = None, end: int | None = None, limit: int,
) -> list[trading.Fill]:  # fmt: skip
    """The user's side of each of their trades on one symbol (trading.selectors), oldest first."""
    rows = _time_range(trading.trade_list(user=user, symbol=instrument.symbol, order_id=order_id), start, end)
    return trading.fills_of(_page(rows, from_id=from_id, limit=limit), user=user, order_id=order_id)


def order_lookup(
    *, user: User, instrument: Instrument, order_id: int | None, client_order_id: str | None
) -> Order:
    """One of the user's orders on this symbol, by id or client order id, else 404 -2013."""
    if order_id is not None:
        order = trading.order_get(user=user, order_id=order_id)
    else:
        order = trading.order_get_by_client_id(user=user, client_order_id=client_order_id or "")
    if order.instrument_id != instrument.id:
        raise ApiError(
            ErrorCode.NO_SUCH_ORDER, "Order does not exist.", status_code=status.HTTP_404_NOT_FOUND
        )
    return order


def avg_price(candles: list[Any]) -> Decimal | None:
    """Volume-weighted price of some candles; None when nothing traded."""
    volume = sum((c.volume for c in candles), Decimal(0))
    if not volume:
        return None
    quote = sum((c.quote_volume for c in candles), Decimal(0))
    return (quote / volume).quantize(Decimal("0.00000001"))


def order_lists_of(
    *, user: User, from_id: int | None = None, start: int | None = None, end: int | None = None, limit: int,
) -> list[OrderList]:  # fmt: skip
    """The user's OCO lists (trading.order_lists), oldest first: from `from_id` on, or the newest
    `limit` placed in the time range (ms, inclusive)."""
    lists = order_lists.order_list_list(user=user, start_ms=start, end_ms=end)
    return _page(lists, from_id=from_id, limit=limit)


def open_order_lists(*, user: User) -> list[OrderList]:
    """The user's lists with a leg still open (EXECUTING), oldest first."""
    lists = order_lists.order_list_list(user=user, statuses=[OrderListStatus.EXECUTING])
    return list(lists.order_by("id"))


def order_list_lookup(*, user: User, order_list_id: int | None, client_list_id: str | None) -> OrderList:
    """One of the user's lists by id or by its client list id, else 404 -2013."""
    if order_list_id is not None:
        return order_lists.order_list_get(user=user, order_list_id=order_list_id)
    found = order_lists.order_list_list(user=user).filter(client_list_id=client_list_id or "").first()
    if found is None:
        raise ApiError(
            ErrorCode.NO_SUCH_ORDER, "Order list does not exist.", status_code=status.HTTP_404_NOT_FOUND
        )
    return found
