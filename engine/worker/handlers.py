"""One function per engine command: validate, call the core, record what its events caused.

Each handler returns the reply for its caller or raises CommandRefused. Everything the core's
events cause is recorded into `state.batch` by `apply_events`, which `engine.worker.persistence` writes.
"""

from decimal import Decimal
from typing import Any

from accounts.models import Asset
from accounts.money import from_atoms, plain_decimal
from engine.client.protocol import Reply
from engine.core import OrderStatus, OrderType, Side
from engine.core.errors import FilterError
from engine.core.events import BalanceEvent, OrderEvent, Refused, TradeEvent, TrailEvent, TriggerEvent
from engine.worker import oco, timers, whatif
from engine.worker.commands import CommandRefused, bad, get_choice, get_decimal, get_int, get_str
from engine.worker.order_args import check_filters as _check_filters  # noqa: F401 (shared with order_args)
from engine.worker.order_args import place_args
from engine.worker.positions import PositionState, position_apply_fill
from engine.worker.records import LedgerRecord, OrderRecord, TradeRecord, fill_reply
from engine.worker.recovery import market_reload
from engine.worker.staff_cancel import staff_canceled
from engine.worker.state import WorkerState
from engine.worker.withdrawals import HANDLERS as WITHDRAWAL_HANDLERS
from trading.models import InstrumentStatus

STOP_TYPES = (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED})


def dispatch(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    handler = HANDLERS.get(cmd.get("op"))  # type: ignore[arg-type]
    if handler is None:
        raise bad(f"unknown op {cmd.get('op')!r}")
    return handler(state, cmd)


# ---------------------------------------------------------------------------- orders


def place(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    user_id = get_int(cmd, "user_id")
    assert user_id is not None
    client_order_id = get_str(cmd, "client_order_id")
    if not 1 <= len(client_order_id) <= 36:
        raise bad("client_order_id must be 1 to 36 characters")
    duplicate = state.order_reply_for((user_id, client_order_id))
    if duplicate is not None:
        return duplicate
    a = place_args(state, user_id, cmd)
    market = a.market
    order_id = state.next_order_id
    now = state.batch.now
    record = OrderRecord(
        order_id, user_id, market.id, market.symbol, client_order_id, a.side.value, a.order_type.value,
        a.tif.value, a.stp.value, a.price, a.stop_price, a.qty, a.quote_qty, a.qty or Decimal(0), Decimal(0),
        Decimal(0), OrderStatus.NEW.value, "", 0, False, now, now, None, a.trailing_delta, None, a.stop_price,
    )  # fmt: skip
    state.orders[order_id] = record
    events = state.ex.place(order_id, user_id, market.symbol, a.side, a.order_type, a.lots, price=a.ticks,
                            stop_price=a.stop_ticks, tif=a.tif, stp=a.stp, quote_qty=a.units,
                            trailing_delta=a.trailing_delta)  # fmt: skip
    refused = next((e for e in events if type(e) is Refused), None)
    if refused is not None:
        del state.orders[order_id]
        raise CommandRefused(refused.reason.value, _refusal_words(refused.reason.value))
    state.next_order_id += 1
    state.client_ids[(user_id, client_order_id)] = order_id
    state.batch.new_order_ids.add(order_id)
    fills = apply_events(state, events)
    return {"ok": True, "order": record.as_reply(fills.get(order_id, [])), "duplicate": False}


def cancel(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    record = _own_open_order(state, cmd)
    events = state.ex.cancel(record.id, record.symbol)
    _raise_refused(events)
    if get_int(cmd, "staff_id", required=False) is not None:
        events = staff_canceled(events)
    apply_events(state, events)
    return {"ok": True, "order": record.as_reply()}


def cancel_all(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    user_id = get_int(cmd, "user_id")
    assert user_id is not None
    market = state.market(cmd.get("symbol"))
    side = None if cmd.get("side") is None else get_choice(cmd, "side", Side)
    events = state.ex.cancel_all(user_id, market.symbol, side)
    _raise_refused(events)
    apply_events(state, events)
    canceled = [state.batch.orders[e.order_id] for e in events if type(e) is OrderEvent]
    return {"ok": True, "orders": [r.as_reply() for r in canceled]}


def amend(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    record = _own_open_order(state, cmd)
    qty = get_decimal(cmd, "qty")
    assert qty is not None
    spec = state.markets[record.symbol].spec
    try:
        lots = spec.qty_to_lots(qty)
    except FilterError as exc:
        raise CommandRefused(exc.reason.value, str(exc)) from None
    events = state.ex.amend(record.id, record.symbol, lots)
    _raise_refused(events)
    apply_events(state, events)
    return {"ok": True, "order": record.as_reply()}


def _own_open_order(state: WorkerState, cmd: dict[str, Any]) -> OrderRecord:
    """The open order the command names, if the caller may act on it (its owner, or staff)."""
    user_id = get_int(cmd, "user_id", required=False)
    staff_id = get_int(cmd, "staff_id", required=False)
    order_id = get_int(cmd, "order_id", required=False)
    if order_id is None and isinstance(cmd.get("client_order_id"), str) and user_id is not None:
        order_id = state.client_ids.get((user_id, cmd["client_order_id"]))
    record = state.orders.get(order_id) if order_id is not None else None
    if record is None or (staff_id is None and record.user_id != user_id):
        raise CommandRefused("MATCHING_UNKNOWN_ORDER", "No such open order.")
    return record


def _raise_refused(events: list[Any]) -> None:
    for e in events:
        if type(e) is Refused:
            raise CommandRefused(e.reason.value, _refusal_words(e.reason.value))


_WORDS = {
    "RISK_INSUFFICIENT_FUNDS": "Insufficient balance for this order.",
    "MATCHING_UNKNOWN_ORDER": "No such open order.",
    "MATCHING_BAD_AMEND": "The new quantity must be greater than zero and smaller than what remains.",
    "FILTER_TICK_SIZE": "Price is not a multiple of the tick size.",
    "FILTER_LOT_SIZE": "Quantity is not a multiple of the lot size.",
    "FILTER_BAD_PARAMS": "These order parameters do not fit the order type.",
    "FILTER_TRAILING_DELTA": "trailing_delta must be a whole number of basis points from 1 to 2000.",
    "FILTER_OCO_PRICES": "The OCO prices are on the wrong sides: for a SELL the limit price must be above "
    "the stop's trigger price, for a BUY below.",
    "MATCHING_DUPLICATE_ID": "Duplicate order id.",
}


def _refusal_words(reason: str) -> str:
    return _WORDS.get(reason, reason.replace("_", " ").capitalize() + ".")


# ---------------------------------------------------------------------------- money


def deposit(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    return _money(state, cmd, "deposit")


def adjust(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    if get_int(cmd, "staff_id", required=False) is None or not get_str(cmd, "note", required=False).strip():
        raise bad("a staff adjustment needs staff_id and a note")
    return _money(state, cmd, "adjust")


def _money(state: WorkerState, cmd: dict[str, Any], op: str) -> Reply:
    user_id = get_int(cmd, "user_id")
    assert user_id is not None
    asset = get_str(cmd, "asset")
    amount = get_decimal(cmd, "amount", signed=op == "adjust")
    assert amount is not None
    operation_id = get_str(cmd, "operation_id")
    if not 1 <= len(operation_id) <= 64:
        raise bad("operation_id must be 1 to 64 characters")
    if asset not in state.assets:  # staff may have added it since the engine started
        state.assets = dict(Asset.objects.values_list("code", "id"))
    if asset not in state.assets:
        raise CommandRefused("WORKER_UNKNOWN_ASSET", f"unknown asset {asset!r}")
    state.require_user(user_id)
    signed = amount
    key = (user_id, asset, operation_id)
    previous = (
        state.lookups.operations.get(key)
        or state.uncommitted_operations.get(key)
        or next((e for e in state.batch.ledger if (e.user_id, e.asset_code, e.operation_id) == key), None)
    )
    if previous is not None:
        if previous.delta_free != signed:
            raise CommandRefused(
                "WORKER_OPERATION_CONFLICT", f"operation {operation_id} was used for another change"
            )
        free, locked = state.balance(user_id, asset)
        return {"ok": True, "created": False, "free": plain_decimal(free), "locked": plain_decimal(locked)}
    atoms = state.atoms(amount)
    if op == "deposit":
        events = state.ex.deposit(user_id, asset, atoms, ref=operation_id)
    else:
        events = state.ex.adjust(user_id, asset, atoms, ref=operation_id)
    _raise_refused(events)
    apply_events(state, events, note=get_str(cmd, "note", required=False)[:200],
                 staff_id=get_int(cmd, "staff_id", required=False))  # fmt: skip
    free, locked = state.balance(user_id, asset)
    return {"ok": True, "created": True, "free": plain_decimal(free), "locked": plain_decimal(locked)}


# ---------------------------------------------------------------------------- instruments and state


def set_status(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    market = state.market(cmd.get("symbol"))
    status = get_choice(cmd, "status", InstrumentStatus)
    market.status = status.value
    state.batch.statuses[market.symbol] = status.value
    state.instruments_changed()
    return {"ok": True, "symbol": market.symbol, "status": status.value}


def reload_instrument(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    """Picks up a staff edit of an instrument's filters and fees (or a new instrument)."""
    symbol = get_str(cmd, "symbol")
    market_reload(state, symbol)
    state.instruments_changed()
    return {"ok": True, "symbol": symbol}


def engine_state(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    return {"ok": True, "state_hash": state.ex.state_hash(), "open_orders": len(state.orders)}


HANDLERS = {
    "place": place,
    "cancel": cancel,
    "cancel_all": cancel_all,
    "amend": amend,
    "deposit": deposit,
    "adjust": adjust,
    "set_status": set_status,
    "reload_instrument": reload_instrument,
    "state": engine_state,
    "test_place": whatif.test_place,
    "place_oco": oco.list_place,
    "cancel_list": oco.list_cancel,
    **WITHDRAWAL_HANDLERS,
    "cancel_after": timers.cancel_after,
    "cod_open": timers.cod_open,
    "cod_close": timers.cod_close,
    "cod_renew": timers.cod_renew,
    "timers_fire": lambda state, cmd: timers.timers_fire(state, cmd, apply_events),
}


# ---------------------------------------------------------------------------- events -> rows


def apply_events(state: WorkerState, events: list[Any], *, note: str = "",
                 staff_id: int | None = None) -> dict[int, list[dict[str, Any]]]:  # fmt: skip
    """Records what the core's events caused into the batch; returns the fills per order id."""
    batch = state.batch
    trades: dict[int, TradeRecord] = {}  # by trade seq (one command touches one symbol)
    fills: dict[int, list[dict[str, Any]]] = {}
    for e in events:
        kind = type(e)
        if kind is OrderEvent:
            _on_order(state, e)
        elif kind is TradeEvent:
            trades[e.seq] = _on_trade(state, e)
        elif kind is BalanceEvent:
            _on_balance(state, e, trades, note, staff_id)
        elif kind is TriggerEvent:
            oco.on_trigger(state, e)
        elif kind is TrailEvent:
            oco.on_trail(state, e)
    for trade in trades.values():
        market = state.markets_by_id[trade.instrument_id]
        taker_gets, maker_gets = (
            (market.base, market.quote) if trade.taker_side == Side.BUY else (market.quote, market.base)
        )
        fills.setdefault(trade.taker_order_id, []).append(
            fill_reply(trade, liquidity="TAKER", fee=trade.taker_fee, fee_asset=taker_gets)
        )
        fills.setdefault(trade.maker_order_id, []).append(
            fill_reply(trade, liquidity="MAKER", fee=trade.maker_fee, fee_asset=maker_gets)
        )
    batch.events.extend(events)
    return fills


def _on_order(state: WorkerState, e: OrderEvent) -> None:
    record = state.orders.get(e.order_id) or state.batch.orders[e.order_id]
    spec = state.markets[record.symbol].spec
    record.status = e.status.value
    record.filled = spec.lots_to_qty(e.filled)
    record.remaining = spec.lots_to_qty(e.remaining)
    record.reason = e.reason.value if e.reason is not None else record.reason
    record.seq = e.priority
    record.updated_at = state.batch.now  # a stop's triggering came before, as a TriggerEvent (oco.on_trigger)
    state.batch.orders[record.id] = record
    if e.status in TERMINAL:
        state.orders.pop(record.id, None)
    if record.order_list_id is not None:
        oco.leg_changed(state, record)


def _on_trade(state: WorkerState, e: TradeEvent) -> TradeRecord:
    market = state.markets[e.symbol]
    spec = market.spec
    price = spec.ticks_to_price(e.price)
    qty = spec.lots_to_qty(e.qty)
    quote = price * qty
    trade = TradeRecord(
        state.next_trade_id,
        market.id,
        e.seq,
        price,
        qty,
        quote,
        e.taker_side.value,
        e.taker_id,
        e.maker_id,
        e.taker_owner,
        e.maker_owner,
        Decimal(0),
        Decimal(0),
        state.batch.now,
    )
    state.next_trade_id += 1
    state.batch.trades.append(trade)
    for order_id in (e.taker_id, e.maker_id):
        record = state.orders.get(order_id) or state.batch.orders[order_id]
        record.quote_filled += quote
        record.updated_at = state.batch.now
        state.batch.orders[order_id] = record
    buyer, seller = (
        (e.taker_owner, e.maker_owner) if e.taker_side is Side.BUY else (e.maker_owner, e.taker_owner)
    )
    for owner, signed in ((buyer, qty), (seller, -qty)):
        key = (owner, market.id)
        state.positions[key] = position_apply_fill(
            state.positions.get(key, PositionState()), signed_qty=signed, price=price
        )
        state.batch.positions.add(key)
    state.batch.symbols.add(e.symbol)
    return trade


def _on_balance(
    state: WorkerState, e: BalanceEvent, trades: dict[int, TradeRecord], note: str, staff_id: int | None
) -> None:
    trade = trades.get(e.trade_seq) if e.trade_seq is not None else None
    state.batch.ledger.append(LedgerRecord(
        e.owner, state.assets[e.asset], e.asset, from_atoms(e.delta_free), from_atoms(e.delta_locked),
        e.reason.value, e.order_id, trade.id if trade is not None else None, e.ref or "", note, staff_id,
        e.withdrawal_id,
    ))  # fmt: skip
    state.batch.balances.add((e.owner, e.asset))
    if trade is not None and e.reason.value == "FEE" and e.owner != state.fee_user_id:
        market = state.markets_by_id[trade.instrument_id]
        taker_gets = market.base if trade.taker_side == Side.BUY else market.quote
        fee = -from_atoms(e.delta_free)
        if e.asset == taker_gets and e.owner == trade.taker_id:
            trade.taker_fee += fee
        else:
            trade.maker_fee += fee
