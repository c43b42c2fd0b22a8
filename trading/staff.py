"""Staff actions on the market, carried out by the engine worker (admin calls these). Each leaves a
record in the staff audit trail (accounts.audit), written after the engine answered."""

from accounts.audit import staff_audited
from accounts.models import StaffActionKind, User
from engine.client.errors import engine_send
from trading.models import Instrument, InstrumentStatus, Order
from trading.selectors import instruments_cache_clear


class StaffActionRefused(Exception):
    """The engine refused the action; nothing changed."""


_STATUS_ACTIONS = {
    InstrumentStatus.HALTED: StaffActionKind.INSTRUMENT_HALT,
    InstrumentStatus.TRADING: StaffActionKind.INSTRUMENT_RESUME,
    InstrumentStatus.CANCEL_ONLY: StaffActionKind.INSTRUMENT_CANCEL_ONLY,
}


def _request(command: dict) -> dict:
    reply = engine_send(command, unknown_msg="The engine did not answer in time; look before repeating.")
    if not reply["ok"]:
        raise StaffActionRefused(reply.get("msg") or reply.get("reason"))
    return reply


def instrument_set_status(*, instrument: Instrument, status: str, staff: User, reason: str = "") -> None:
    """Halts, resumes or sets an instrument cancel-only, in the engine and then in the database;
    audited with the optional `reason`."""
    details = {"symbol": instrument.symbol, "status_before": instrument.status, "status": status}
    action = _STATUS_ACTIONS[InstrumentStatus(status)]
    with staff_audited(actor=staff, action=action, target=instrument, reason=reason, details=details):
        _request({"op": "set_status", "symbol": instrument.symbol, "status": status, "staff_id": staff.pk})
    instruments_cache_clear()  # this process at once; the others hear of it from the engine's replies


def instrument_reload(*, instrument: Instrument) -> None:
    """Makes the engine pick up a staff edit of an instrument's filters, fees or status."""
    _request({"op": "reload_instrument", "symbol": instrument.symbol})
    instruments_cache_clear()


def order_force_cancel(*, order: Order, staff: User, reason: str) -> Order:
    """Cancels any user's open order on behalf of staff (the order ends CANCELED with reason
    STAFF_CANCELED); `reason`, the staff member's why, is required and goes to the audit trail."""
    if not reason.strip():
        raise ValueError("a force-cancel needs a reason")
    details = {"order_id": order.id, "user_id": order.user_id, "status_before": order.status,
               "remaining_before": f"{order.remaining:f}"}  # fmt: skip
    with staff_audited(
        actor=staff, action=StaffActionKind.ORDER_FORCE_CANCEL, target=order, reason=reason, details=details
    ) as audit:
        _request({"op": "cancel", "order_id": order.id, "staff_id": staff.pk})
        order.refresh_from_db()
        audit["status"] = order.status
    return order
