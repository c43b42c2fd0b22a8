"""Staff actions on the market, carried out by the engine worker (admin calls these)."""

from accounts.models import User
from engine.client.errors import engine_send
from trading.models import Instrument, Order
from trading.selectors import instruments_cache_clear


class StaffActionRefused(Exception):
    """The engine refused the action; nothing changed."""


def _request(command: dict) -> dict:
    reply = engine_send(command, unknown_msg="The engine did not answer in time; look before repeating.")
    if not reply["ok"]:
        raise StaffActionRefused(reply.get("msg") or reply.get("reason"))
    return reply


def instrument_set_status(*, instrument: Instrument, status: str, staff: User) -> None:
    """Halts, resumes or sets an instrument cancel-only, in the engine and then in the database."""
    _request({"op": "set_status", "symbol": instrument.symbol, "status": status, "staff_id": staff.pk})
    instruments_cache_clear()  # this process at once; the others hear of it from the engine's replies


def instrument_reload(*, instrument: Instrument) -> None:
    """Makes the engine pick up a staff edit of an instrument's filters, fees or status."""
    _request({"op": "reload_instrument", "symbol": instrument.symbol})
    instruments_cache_clear()


def order_force_cancel(*, order: Order, staff: User) -> Order:
    """Cancels any user's open order on behalf of staff."""
    _request({"op": "cancel", "order_id": order.id, "staff_id": staff.pk})
    order.refresh_from_db()
    return order
