"""Positions with their unrealized PnL, marked to each instrument's last trade price.

The engine keeps `Position` (qty, average entry price, realized PnL); what it does not store is
the mark, which moves with every trade of anyone. It is read here, in the same query (a subquery
on the last trade of the instrument), so a list of positions costs one query.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext

from django.db.models import OuterRef, Subquery

from accounts.models import User
from accounts.money import MoneyField
from trading.models import Position, Trade


@dataclass(frozen=True)
class PositionRow:
    symbol: str
    qty: Decimal
    avg_price: Decimal
    realized_pnl: Decimal
    last_price: Decimal | None
    unrealized_pnl: Decimal | None
    updated_at: datetime


def unrealized_pnl(*, qty: Decimal, avg_price: Decimal, last_price: Decimal | None) -> Decimal | None:
    """(last − avg) × qty in quote, exact (not rounded); None while the instrument has never traded."""
    if last_price is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 60  # a product of two storable amounts is exact
        return (last_price - avg_price) * qty


def position_list(*, user: User) -> list[PositionRow]:
    """The user's positions by symbol, each with the last trade price and unrealized PnL."""
    last_price = Trade.objects.filter(instrument=OuterRef("instrument")).order_by("-id").values("price")[:1]
    positions = (
        Position.objects.filter(user=user)
        .select_related("instrument")
        .annotate(last_price=Subquery(last_price, output_field=MoneyField()))
        .order_by("instrument__symbol")
    )
    return [
        PositionRow(
            symbol=p.instrument.symbol,
            qty=p.qty,
            avg_price=p.avg_price,
            realized_pnl=p.realized_pnl,
            last_price=p.last_price,
            unrealized_pnl=unrealized_pnl(qty=p.qty, avg_price=p.avg_price, last_price=p.last_price),
            updated_at=p.updated_at,
        )
        for p in positions
    ]
