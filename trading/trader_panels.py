"""The signed-in trader's panels of the trading page (bottom tabs and the account box): open orders
of every market, recent order history and fills of this market, funds, and the account's value and
PnL. A composition of selectors, kept out of views.py so the view stays a few lines."""

from decimal import Decimal
from typing import Any

from accounts.models import User
from accounts.selectors import balance_list
from trading import selectors
from trading.models import OPEN_STATUSES, Instrument, OrderStatus
from trading.positions import account_value

PANEL_ROWS = 30
CLOSED_STATUSES = (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED)


def decimals(step: Decimal) -> int:
    """Decimal places of a tick or lot (0.01 -> 2, 1 -> 0): how many digits prices/amounts show."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -int(exponent))


def market_digits() -> dict[str, tuple[int, int]]:
    """symbol -> (price decimals, amount decimals), for rows of several markets."""
    return {i.symbol: (decimals(i.tick_size), decimals(i.lot_size)) for i in selectors.instrument_list()}


def trader_panels(*, user: User, instrument: Instrument) -> dict[str, Any]:
    digits = market_digits()
    open_orders = selectors.order_list(user=user, statuses=OPEN_STATUSES).select_related("instrument")[:100]
    history = selectors.order_list(user=user, symbol=instrument.symbol, statuses=CLOSED_STATUSES)[:PANEL_ROWS]
    fills = selectors.fills_of(
        selectors.trade_list(user=user, symbol=instrument.symbol)[:PANEL_ROWS], user=user
    )
    held = {b.asset.code: b for b in balance_list(user=user)}
    summary = account_value(user=user)
    pair = (instrument.base.code, instrument.quote.code)
    funds = [
        {"asset": code, "free": getattr(held.get(code), "free", Decimal(0)),
         "locked": getattr(held.get(code), "locked", Decimal(0)), "value": summary.values.get(code),
         "price": summary.prices.get(code)}
        for code in [*pair, *sorted(c for c in held if c not in pair)]
    ]  # fmt: skip
    return {
        "open_orders": [
            {"o": o, "price_dp": digits[o.symbol][0], "qty_dp": digits[o.symbol][1]} for o in open_orders
        ],
        "order_history": list(history),
        "fills": fills,
        "balances": funds[:2],
        "funds": funds,
        "account": summary,
        "has_funds": any(b.free or b.locked for b in held.values()),
    }
