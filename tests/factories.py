"""Small factories for tests: plain functions, real rows."""

import itertools
import uuid
from decimal import Decimal

from accounts.models import Asset, User
from accounts.services import balance_adjust
from trading.models import Instrument

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
