"""Driving the real engine worker (embedded, in-process) from tests."""

from decimal import Decimal
from typing import Any

from engine.client import engine_request_sync
from tests.factories import fund, make_instrument, make_user


def engine(op: str, **fields: Any) -> dict[str, Any]:
    return engine_request_sync({"op": op, **fields})


_coids = iter(range(1, 10**9))


def place(
    user, side, price=None, qty=None, *, symbol="BTC-USD", order_type="LIMIT", **extra
) -> dict[str, Any]:
    command = {
        "user_id": user.pk,
        "symbol": symbol,
        "side": side,
        "order_type": order_type,
        "client_order_id": extra.pop("client_order_id", f"t-{next(_coids)}"),
    }
    if price is not None:
        command["price"] = str(price)
    if qty is not None:
        command["qty"] = str(qty)
    command.update({k: str(v) if isinstance(v, Decimal | int | float) else v for k, v in extra.items()})
    return engine("place", **command)


def market_with_traders(maker_fee="0.001", taker_fee="0.002"):
    """BTC-USD (tick 0.01, lot 0.001, min notional 1) and two funded traders."""
    instrument = make_instrument("BTC-USD", maker_fee=Decimal(maker_fee), taker_fee=Decimal(taker_fee))
    alice, bob = make_user("alice"), make_user("bob")
    for user in (alice, bob):
        fund(user, "USD", "100000")
        fund(user, "BTC", "10")
    return instrument, alice, bob
