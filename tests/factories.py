"""Small factories for tests: plain functions, real rows."""

import itertools
import uuid
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from accounts.models import Asset, User
from accounts.services import balance_adjust
from trading.models import Instrument, Order, Position, Trade

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery-9"


def make_user(username: str | None = None, **extra: object) -> User:
    username = username or f"user{next(_counter)}"
    return User.objects.create_user(username=username, password=PASSWORD, **extra)


def make_asset(code: str, precision: int = 8) -> Asset:
    asset, _ = Asset.objects.get_or_create(code=code, defaults={"display_precision": precision})
    return asset


def make_instrument(symbol: str = "BTC-USD", **overrides: object) -> Instrument:
    base, quote = symbol.split("-")
    fields: dict[str, object] = {
        "base": make_asset(base),
        "quote": make_asset(quote),
        "tick_size": Decimal("0.01"),
        "lot_size": Decimal("0.001"),
        "min_qty": Decimal("0.001"),
        "max_qty": Decimal("1000"),
        "min_notional": Decimal("1"),
        "maker_fee": Decimal("0.001"),
        "taker_fee": Decimal("0.002"),
    }
    fields.update(overrides)
    return Instrument.objects.create(symbol=symbol, **fields)


def fund(user: User, code: str, amount: str) -> None:
    balance_adjust(
        user=user,
        asset=make_asset(code),
        amount=Decimal(amount),
        reason="DEPOSIT",
        operation_id=f"test-{uuid.uuid4()}",
    )


# Rows the engine writes, made directly for tests of the read APIs.


def make_order(user: User, instrument: Instrument, **overrides: object) -> Order:
    now = timezone.now()
    fields: dict[str, object] = {
        "id": (Order.objects.aggregate(m=Max("id"))["m"] or 0) + 1,
        "client_order_id": uuid.uuid4().hex,
        "side": "BUY",
        "type": "LIMIT",
        "price": Decimal("100"),
        "qty": Decimal("1"),
        "remaining": Decimal("1"),
        "status": "NEW",
        "created_at": now,
        "updated_at": now,
    }
    fields.update(overrides)
    return Order.objects.create(user=user, instrument=instrument, **fields)


def make_trade(taker_order: Order, maker_order: Order, *, price: str, qty: str, **overrides: object) -> Trade:
    instrument = taker_order.instrument
    fields: dict[str, object] = {
        "id": (Trade.objects.aggregate(m=Max("id"))["m"] or 0) + 1,
        "seq": (Trade.objects.filter(instrument=instrument).aggregate(m=Max("seq"))["m"] or 0) + 1,
        "price": Decimal(price),
        "qty": Decimal(qty),
        "quote_qty": Decimal(price) * Decimal(qty),
        "taker_side": taker_order.side,
        "taker_fee": Decimal(0),
        "maker_fee": Decimal(0),
        "created_at": timezone.now(),
    }
    fields.update(overrides)
    return Trade.objects.create(
        instrument=instrument,
        taker_order=taker_order,
        maker_order=maker_order,
        taker_id=taker_order.user_id,
        maker_id=maker_order.user_id,
        **fields,
    )


def make_position(
    user: User, instrument: Instrument, *, qty: str, avg_price: str, realized_pnl: str = "0"
) -> Position:
    return Position.objects.create(
        user=user,
        instrument=instrument,
        qty=Decimal(qty),
        avg_price=Decimal(avg_price),
        realized_pnl=Decimal(realized_pnl),
    )
