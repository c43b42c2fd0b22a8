"""Positions with their unrealized PnL, marked to each instrument's last trade price.

The engine keeps `Position` (qty, average entry price, realized PnL); what it does not store is
the mark, which moves with every trade of anyone. It is read here, in the same query (a subquery
on the last trade of the instrument), so a list of positions costs one query.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext

from django.db.models import OuterRef, Q, Subquery

from accounts.models import Balance, User
from accounts.money import MoneyField
from trading.models import Instrument, Position, Side, Trade


@dataclass(frozen=True)
class PositionRow:
    symbol: str
    qty: Decimal
    avg_price: Decimal
    realized_pnl: Decimal
    last_price: Decimal | None
    unrealized_pnl: Decimal | None
    updated_at: datetime
    quote: str = ""
    fees: Decimal = Decimal(0)
    """Every fee paid on this market, in the quote asset (a fee paid in the base asset is valued at
    the price of its trade)."""

    @property
    def net_pnl(self) -> Decimal:
        """Realized + unrealized − fees, in the quote asset: what trading this market earned."""
        return self.realized_pnl + (self.unrealized_pnl or 0) - self.fees


def unrealized_pnl(*, qty: Decimal, avg_price: Decimal, last_price: Decimal | None) -> Decimal | None:
    """(last − avg) × qty in quote, exact (not rounded); None while the instrument has never traded."""
    if last_price is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 60  # a product of two storable amounts is exact
        return (last_price - avg_price) * qty


def position_list(*, user: User, with_fees: bool = False) -> list[PositionRow]:
    """The user's positions by symbol, each with the last trade price and unrealized PnL; with
    `with_fees`, also the fees paid on each market (one more query, over the user's trades)."""
    last_price = Trade.objects.filter(instrument=OuterRef("instrument")).order_by("-id").values("price")[:1]
    fees = fees_in_quote(user=user) if with_fees else {}
    positions = (
        Position.objects.filter(user=user)
        .select_related("instrument__quote")
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
            quote=p.instrument.quote.code,
            fees=fees.get(p.instrument.symbol, Decimal(0)),
        )
        for p in positions
    ]


def fees_in_quote(*, user: User) -> dict[str, Decimal]:
    """symbol -> the fees the user paid there, in its quote asset, exact. A buyer pays in the base
    asset (fee × the trade's price), a seller in the quote; a self-trade pays both sides."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    trades = (
        Trade.objects.filter(Q(taker=user) | Q(maker=user))
        .values_list(
            "instrument__symbol", "price", "taker_side", "taker_id", "maker_id", "taker_fee", "maker_fee"
        )
        .order_by()
    )
    with localcontext() as ctx:
        ctx.prec = 60
        for symbol, price, taker_side, taker_id, maker_id, taker_fee, maker_fee in trades.iterator(2000):
            if taker_id == user.pk:
                totals[symbol] += taker_fee * price if taker_side == Side.BUY else taker_fee
            if maker_id == user.pk:
                totals[symbol] += maker_fee * price if taker_side == Side.SELL else maker_fee
    return dict(totals)


@dataclass(frozen=True)
class AccountValue:
    """The account in one currency (`home`): every balance (free + locked) valued at the last trade
    price, and the PnL of every market, fees included."""

    home: str
    value: Decimal
    pnl: Decimal
    unvalued: list[str]  # assets held that no market prices in `home` yet
    values: dict[str, Decimal]  # asset -> its balance's value in `home`
    prices: dict[str, Decimal]  # asset -> its last price in `home`


def _prices_in(home: str) -> dict[str, Decimal]:
    """asset -> last price in `home`: directly (BTC-USD) or through one market (ETH-BTC × BTC-USD)."""
    last = Trade.objects.filter(instrument=OuterRef("pk")).order_by("-id").values("price")[:1]
    markets = [
        (i.base.code, i.quote.code, i.last)
        for i in Instrument.objects.select_related("base", "quote").annotate(
            last=Subquery(last, output_field=MoneyField())
        )
        if i.last is not None
    ]
    prices = {home: Decimal(1)}
    for _ in range(2):
        for base, quote, price in markets:
            if base not in prices and quote in prices:
                prices[base] = price * prices[quote]
    return prices


def account_value(*, user: User, home: str = "USD") -> AccountValue:
    """What the account is worth in `home` and what trading earned (positions' PnL less fees)."""
    prices = _prices_in(home)
    values: dict[str, Decimal] = {}
    unvalued = []
    with localcontext() as ctx:
        ctx.prec = 60
        for b in Balance.objects.filter(user=user).select_related("asset"):
            held = b.free + b.locked
            if b.asset.code in prices:
                values[b.asset.code] = held * prices[b.asset.code]
            elif held:
                unvalued.append(b.asset.code)
        pnl = sum(
            (
                p.net_pnl * prices[p.quote]
                for p in position_list(user=user, with_fees=True)
                if p.quote in prices
            ),
            Decimal(0),
        )
    return AccountValue(home=home, value=sum(values.values(), Decimal(0)), pnl=pnl, unvalued=unvalued,
                        values=values, prices=prices)  # fmt: skip
