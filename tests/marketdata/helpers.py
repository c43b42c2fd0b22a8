"""Driving the real embedded engine from async tests (the engine then runs in the test's loop)."""

import itertools
from decimal import Decimal
from typing import Any

from channels.db import database_sync_to_async

from engine.client import engine_request as _engine_request
from tests.factories import make_asset, make_instrument, make_user

_coids = itertools.count(1)


async def engine_request(command: dict[str, Any]) -> dict[str, Any]:
    """A command, then a wait until the engine has published what it caused. Publishing follows the
    reply off the worker's critical path; waiting for it makes "I placed an order, now I read the
    book" deterministic in tests (a real client sees the update a moment later)."""
    from channels.layers import get_channel_layer

    from engine.worker.pipeline import runtime_for_this_loop

    reply = await _engine_request(command)
    await runtime_for_this_loop(get_channel_layer()).published()
    return reply


async def aplace(user: Any, side: str, price: str | None, qty: str | None, *, symbol: str = "BTC-USD",
                 order_type: str = "LIMIT", **extra: Any) -> dict[str, Any]:  # fmt: skip
    command: dict[str, Any] = {
        "op": "place",
        "user_id": user.pk,
        "symbol": symbol,
        "side": side,
        "order_type": order_type,
        "client_order_id": extra.pop("client_order_id", f"md-{next(_coids)}"),
    }
    if price is not None:
        command["price"] = price
    if qty is not None:
        command["qty"] = qty
    command.update({k: str(v) if isinstance(v, Decimal | int) else v for k, v in extra.items()})
    reply = await engine_request(command)
    assert reply["ok"], reply
    return reply


async def acancel(user: Any, order_id: int) -> dict[str, Any]:
    reply = await engine_request({"op": "cancel", "user_id": user.pk, "order_id": order_id})
    assert reply["ok"], reply
    return reply


async def adeposit(user: Any, asset: str, amount: str) -> None:
    reply = await engine_request(
        {
            "op": "deposit",
            "user_id": user.pk,
            "asset": asset,
            "amount": amount,
            "operation_id": f"md-{next(_coids)}",
        }
    )
    assert reply["ok"], reply


async def amarket(symbol: str = "BTC-USD") -> tuple[Any, Any, Any]:
    """An instrument (tick 0.01, lot 0.001) and two traders funded through the engine in this loop
    (as tests.engine.helpers.market_with_traders, without nesting a sync engine call in a thread)."""

    def rows() -> tuple[Any, Any, Any]:
        make_asset("BTC"), make_asset("USD")
        return make_instrument(symbol), make_user("alice"), make_user("bob")

    instrument, alice, bob = await database_sync_to_async(rows)()
    base, quote = symbol.split("-")
    for user in (alice, bob):
        await adeposit(user, quote, "100000")
        await adeposit(user, base, "10")
    return instrument, alice, bob
