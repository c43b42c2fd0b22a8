"""The `test_place` op: a place that changes nothing (POST /api/v1/orders/test/).

The same checks as `place`, in the same order and with the same reasons (a client order id used
before answers the original order; then `order_args.place_args`; then the core's
`Exchange.place_check` through `whatif.place_estimate`), then what the core says placing the
order would do at once against the book and balances as they are. It consumes no order id, no
client order id and no priority, and records nothing in the batch: no rows, no events.
"""

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from accounts.money import DECIMAL_PLACES, from_atoms, plain_decimal
from engine.client.protocol import Reply
from engine.core.whatif import Estimate, place_estimate
from engine.worker.commands import CommandRefused, bad, get_int, get_str
from engine.worker.order_args import place_args
from engine.worker.records import Market
from engine.worker.state import WorkerState

_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)


def test_place(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    """`{"ok": true, "duplicate": false, "estimate": ESTIMATE}`, or a duplicate's reply as `place`
    gives it (`{"ok": true, "order": ORDER, "duplicate": true}`), or the refusal `place` would give.
    `client_order_id` is optional here (without it nothing is looked up)."""
    from engine.worker.handlers import _refusal_words  # deferred: handlers imports this module

    user_id = get_int(cmd, "user_id")
    assert user_id is not None
    client_order_id = get_str(cmd, "client_order_id", required=False)
    if len(client_order_id) > 36:
        raise bad("client_order_id must be 1 to 36 characters")
    if client_order_id:
        duplicate = state.order_reply_for((user_id, client_order_id))
        if duplicate is not None:
            return duplicate
    a = place_args(state, user_id, cmd)
    # an id no order has (the next one place would use, not taken): the core refuses only a used one
    est = place_estimate(state.ex, state.next_order_id, user_id, a.market.symbol, a.side, a.order_type,
                         a.lots, price=a.ticks, stop_price=a.stop_ticks, tif=a.tif, stp=a.stp,
                         quote_qty=a.units, trailing_delta=a.trailing_delta)  # fmt: skip
    if not isinstance(est, Estimate):
        raise CommandRefused(est.value, _refusal_words(est.value))
    return {"ok": True, "duplicate": False, "estimate": estimate_reply(a.market, est)}


def estimate_reply(market: Market, est: Estimate) -> dict[str, Any]:
    """ESTIMATE on the wire (docs/engine-worker.md): decimal strings, the average price rounded
    half-even to 8 places (the only amount that is not exact)."""
    spec = market.spec
    fills = []
    for ticks, lots in est.levels:
        price, qty = spec.ticks_to_price(ticks), spec.lots_to_qty(lots)
        fills.append(
            {
                "price": plain_decimal(price),
                "qty": plain_decimal(qty),
                "quote_qty": plain_decimal(price * qty),
            }
        )
    filled = spec.lots_to_qty(est.filled)
    quote = spec.units_to_quote(est.spent)
    avg = (quote / filled).quantize(_QUANTUM, rounding=ROUND_HALF_EVEN) if est.filled else None
    return {
        "status": est.status.value,
        "reason": est.reason.value if est.reason is not None else "",
        "fills": fills,
        "filled": plain_decimal(filled),
        "quote_filled": plain_decimal(quote),
        "avg_price": plain_decimal(avg),
        "fee": plain_decimal(from_atoms(est.fee)),
        "fee_asset": est.fee_asset,
        "fee_rate": plain_decimal(spec.taker_fee),
        "rests": plain_decimal(spec.lots_to_qty(est.rests)),
        "rest_price": plain_decimal(spec.ticks_to_price(est.rest_price))
        if est.rest_price is not None
        else None,
        "hold_asset": est.hold_asset,
        "hold": plain_decimal(from_atoms(est.hold)),
        "locked_after": plain_decimal(from_atoms(est.locked_after)),
    }
