"""OCO order lists and trailing stops in the worker: the two list commands, what the core's
trigger/trail events record, and the lists' recovery.

A list is one `place_oco` command: two legs of one user, symbol, side and quantity, a LIMIT_MAKER
(`limit`) and a STOP_LOSS_LIMIT (`stop`, fixed `stop_price` or `trailing_delta`), placed by the core
in one step with ONE hold (engine.core.oco, engine.core.risk). The worker gives the list an id
(`OrderList`) and each leg an order id; the legs are ordinary orders that point to their list.

List status (docs/api.md "Order lists"): EXECUTING while a leg is open, ALL_DONE once both legs
ended (`leg_changed`, on every leg's order event), REJECTED when the core rejected both legs at
placement. `cancel_list` cancels what is still open of a list.

Duplicate ids, like orders: a `client_list_id` used before returns the original list
(`"duplicate": true`) and changes nothing; a leg's `client_order_id` used before by another order
refuses the list (WORKER_DUPLICATE_CLIENT_ORDER_ID). `state.list_client_ids` remembers every list
this process placed or recovered (lists are rare: one small record each), so a retry is recognised
also before its batch commits; older lists are found in the database.
"""

from decimal import Decimal
from typing import Any

from accounts.money import from_atoms
from engine.client.protocol import Reply
from engine.core import STP, Exchange, OrderStatus, Side, TimeInForce
from engine.core.errors import FilterError
from engine.core.events import Refused, TrailEvent, TriggerEvent
from engine.worker.commands import CommandRefused, bad, get_choice, get_decimal, get_int, get_str
from engine.worker.order_args import check_filters, market_open
from engine.worker.records import ListRecord, OrderRecord, order_reply
from engine.worker.state import WorkerState
from trading.models import Order, OrderList, OrderListStatus, OrderType

EXECUTING = OrderListStatus.EXECUTING.value
ALL_DONE = OrderListStatus.ALL_DONE.value
REJECTED = OrderListStatus.REJECTED.value
DUPLICATE_CLIENT_ORDER_ID = "WORKER_DUPLICATE_CLIENT_ORDER_ID"


# ---------------------------------------------------------------------------- commands


def list_place(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    """`place_oco`: the list and its two legs, or a refusal that changes nothing."""
    from engine.worker.handlers import _refusal_words, apply_events  # deferred: handlers imports this module

    user_id = get_int(cmd, "user_id")
    assert user_id is not None
    client_list_id = _client_id(cmd, "client_list_id")
    duplicate = _known_list(state, user_id, client_list_id)
    if duplicate is not None:
        return {"ok": True, "order_list": duplicate, "duplicate": True}
    state.require_user(user_id)
    market = state.market(cmd.get("symbol"))
    market_open(market)
    side = get_choice(cmd, "side", Side)
    stp = get_choice(cmd, "stp", STP, default=STP.NONE)
    qty = get_decimal(cmd, "qty")
    limit, stop = _leg(cmd, "limit"), _leg(cmd, "stop")
    limit_price = get_decimal(limit, "price")
    stop_limit_price = get_decimal(stop, "price")
    stop_price = get_decimal(stop, "stop_price", required=False)
    trailing_delta = get_int(stop, "trailing_delta", required=False)
    stop_tif = get_choice(stop, "tif", TimeInForce, default=TimeInForce.GTC)
    limit_coid, stop_coid = _client_id(limit, "client_order_id"), _client_id(stop, "client_order_id")
    _check_leg_ids(state, user_id, limit_coid, stop_coid)
    check_filters(market, limit_price, qty, None)
    check_filters(market, stop_limit_price, qty, None)
    spec = market.spec
    try:
        lots = spec.qty_to_lots(qty)
        ticks, stop_ticks = spec.price_to_ticks(limit_price), spec.price_to_ticks(stop_limit_price)
        trigger_ticks = None if stop_price is None else spec.price_to_ticks(stop_price)
    except FilterError as exc:
        raise CommandRefused(exc.reason.value, str(exc)) from None
    limit_id, stop_id, list_id = state.next_order_id, state.next_order_id + 1, state.next_list_id
    now = state.batch.now
    lst = ListRecord(list_id, user_id, market.id, market.symbol, client_list_id, EXECUTING, (limit_id, stop_id),
                     now, now)  # fmt: skip
    zero = Decimal(0)
    legs = (
        OrderRecord(limit_id, user_id, market.id, market.symbol, limit_coid, side.value, OrderType.LIMIT_MAKER.value,
                    TimeInForce.GTC.value, stp.value, limit_price, None, qty, None, qty, zero, zero,
                    OrderStatus.NEW.value, "", 0, False, now, now, list_id),
        OrderRecord(stop_id, user_id, market.id, market.symbol, stop_coid, side.value, OrderType.STOP_LOSS_LIMIT.value,
                    stop_tif.value, stp.value, stop_limit_price, stop_price, qty, None, qty, zero, zero,
                    OrderStatus.NEW.value, "", 0, False, now, now, list_id, trailing_delta, None, stop_price),
    )  # fmt: skip
    for record in legs:
        state.orders[record.id] = record
    state.lists[list_id] = lst
    events = state.ex.place_oco(user_id, market.symbol, side, lots, limit_id, ticks, stop_id, stop_ticks,
                                trigger_ticks, trailing_delta=trailing_delta, stop_tif=stop_tif, stp=stp)  # fmt: skip
    refused = next((e for e in events if type(e) is Refused), None)
    if refused is not None:
        for record in legs:
            del state.orders[record.id]
        del state.lists[list_id]
        raise CommandRefused(refused.reason.value, _refusal_words(refused.reason.value))
    state.next_order_id += 2
    state.next_list_id += 1
    for record in legs:
        state.client_ids[(user_id, record.client_order_id)] = record.id
        state.batch.new_order_ids.add(record.id)
    state.list_client_ids[(user_id, client_list_id)] = lst
    state.batch.lists[list_id] = lst
    fills = apply_events(state, events)
    if all(r.status == OrderStatus.REJECTED for r in legs):
        lst.status = REJECTED
    return {"ok": True, "order_list": list_reply(state, lst, fills), "duplicate": False}


def list_cancel(state: WorkerState, cmd: dict[str, Any]) -> Reply:
    """`cancel_list`: cancels the open legs of one of the caller's lists (any user's for staff)."""
    from engine.worker.handlers import apply_events  # deferred: handlers imports this module

    user_id = get_int(cmd, "user_id", required=False)
    staff_id = get_int(cmd, "staff_id", required=False)
    list_id = get_int(cmd, "list_id")
    lst = state.lists.get(list_id)  # type: ignore[arg-type]
    if lst is None or (staff_id is None and lst.user_id != user_id):
        raise CommandRefused("MATCHING_UNKNOWN_ORDER", "No such open order list.")
    for leg_id in lst.leg_ids:
        if leg_id in state.orders:  # not already ended (as the other leg of the first cancel)
            apply_events(state, state.ex.cancel(leg_id, lst.symbol))
    return {"ok": True, "order_list": list_reply(state, lst, {})}


def _leg(cmd: dict[str, Any], name: str) -> dict[str, Any]:
    leg = cmd.get(name)
    if not isinstance(leg, dict):
        raise bad(f"{name} must be an object")
    return leg


def _client_id(cmd: dict[str, Any], name: str) -> str:
    value = get_str(cmd, name)
    if not 1 <= len(value) <= 36:
        raise bad(f"{name} must be 1 to 36 characters")
    return value


def _check_leg_ids(state: WorkerState, user_id: int, *coids: str) -> None:
    """Each leg's client order id is new for this user (open, uncommitted or stored orders)."""
    if len(set(coids)) != len(coids):
        raise CommandRefused(DUPLICATE_CLIENT_ORDER_ID, "The two legs need different client_order_ids.")
    used = [c for c in coids if (user_id, c) in state.client_ids]
    if not used:
        used = list(
            Order.objects.filter(user_id=user_id, client_order_id__in=coids).values_list(
                "client_order_id", flat=True
            )
        )
    if used:
        raise CommandRefused(
            DUPLICATE_CLIENT_ORDER_ID, f"client_order_id {used[0]!r} was used for another order."
        )


def _known_list(state: WorkerState, user_id: int, client_list_id: str) -> dict[str, Any] | None:
    """The reply for a list placed before with this client list id (memory, then the database)."""
    lst = state.list_client_ids.get((user_id, client_list_id))
    if lst is not None:
        return list_reply(state, lst, {})
    row = (
        OrderList.objects.filter(user_id=user_id, client_list_id=client_list_id)
        .select_related("instrument")
        .first()
    )
    if row is None:
        return None
    legs = Order.objects.filter(order_list=row).order_by("id")
    return _reply(row, row.instrument.symbol, [order_reply(o, [], row.instrument.symbol) for o in legs])


def list_reply(state: WorkerState, lst: ListRecord, fills: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    """The ORDER_LIST dict of docs/engine-worker.md: the list and its two legs (ORDER dicts)."""
    orders = []
    for leg_id in lst.leg_ids:
        record = (
            state.batch.orders.get(leg_id) or state.orders.get(leg_id) or state.uncommitted_closed.get(leg_id)
        )
        if record is not None:
            orders.append(record.as_reply(fills.get(leg_id, [])))
        else:
            row = Order.objects.get(pk=leg_id)
            orders.append(order_reply(row, [], lst.symbol))
    return _reply(lst, lst.symbol, orders)


def _reply(lst: ListRecord | OrderList, symbol: str, orders: list[dict[str, Any]]) -> dict[str, Any]:
    assert lst.created_at is not None and lst.updated_at is not None
    return {
        "id": lst.id,
        "client_list_id": lst.client_list_id,
        "symbol": symbol,
        "status": lst.status,
        "created_at": lst.created_at.isoformat(),
        "updated_at": lst.updated_at.isoformat(),
        "orders": orders,
    }


# ---------------------------------------------------------------------------- events -> records


def on_trigger(state: WorkerState, e: TriggerEvent) -> None:
    """A stop triggered: it says so (`triggered`, `triggered_at`, the price it triggered at)."""
    record = state.orders.get(e.order_id) or state.batch.orders[e.order_id]
    record.triggered = True
    record.triggered_at = record.updated_at = state.batch.now
    record.trigger_price = state.markets[record.symbol].spec.ticks_to_price(e.trigger_price)
    state.batch.orders[record.id] = record


def on_trail(state: WorkerState, e: TrailEvent) -> None:
    """A waiting trailing stop's peak moved, and with it its trigger price."""
    record = state.orders.get(e.order_id) or state.batch.orders[e.order_id]
    spec = state.markets[record.symbol].spec
    record.trail_peak = spec.ticks_to_price(e.peak)
    record.trigger_price = spec.ticks_to_price(e.trigger_price)
    record.updated_at = state.batch.now
    state.batch.orders[record.id] = record


def leg_changed(state: WorkerState, record: OrderRecord) -> None:
    """A leg's order event was recorded: once both legs have ended, the list is ALL_DONE."""
    lst = state.lists.get(record.order_list_id)  # type: ignore[arg-type]
    if lst is None or any(leg_id in state.orders for leg_id in lst.leg_ids):
        return
    del state.lists[lst.id]
    lst.status = ALL_DONE
    lst.updated_at = state.batch.now
    state.batch.lists[lst.id] = lst


# ---------------------------------------------------------------------------- recovery


def links_restore(exchange: Exchange, records: dict[int, OrderRecord]) -> None:
    """Relinks every live list in the core: a list whose two legs are both open (a fill, trigger or
    end of either leg ends the other in the same step, so two open legs are always still linked)."""
    legs: dict[int, list[int]] = {}
    for record in records.values():
        if record.order_list_id is not None:
            legs.setdefault(record.order_list_id, []).append(record.id)
    for pair in legs.values():
        if len(pair) == 2:
            exchange.restore_oco(pair[0], pair[1])


def lists_load(state: WorkerState) -> None:
    """The open lists (EXECUTING) into `state.lists`, and the next list id."""
    legs: dict[int, list[int]] = {}
    rows = list(OrderList.objects.filter(status=EXECUTING).select_related("instrument"))
    for list_id, order_id in (
        Order.objects.filter(order_list__in=rows).order_by("id").values_list("order_list_id", "id")
    ):
        legs.setdefault(list_id, []).append(order_id)
    for row in rows:
        pair = legs.get(row.id, [])
        if len(pair) != 2:
            raise RuntimeError(f"order list {row.id} has {len(pair)} legs")
        lst = ListRecord(row.id, row.user_id, row.instrument_id, row.instrument.symbol, row.client_list_id,
                         row.status, (pair[0], pair[1]), row.created_at, row.updated_at)  # fmt: skip
        state.lists[lst.id] = lst
        state.list_client_ids[(lst.user_id, lst.client_list_id)] = lst
    last = OrderList.objects.order_by("-id").values_list("id", flat=True).first()
    state.next_list_id = (last or 0) + 1


def peak_ticks(record_peak: int | None, tick_atoms: int) -> int | None:
    """A stored trail peak (atoms) in ticks, for `restore_order`."""
    return None if record_peak is None else record_peak // tick_atoms


def money(atoms: int | None) -> Decimal | None:
    return None if atoms is None else from_atoms(atoms)
