"""A staff force-cancel ends the order with reason STAFF_CANCELED (a trader's own cancel has none).

The core's cancel is the same for both (a canceled order is a canceled order to the book); the
worker, which knows the command came from staff (`staff_id`), marks the CANCELED events before they
are recorded, so the order row, the reply and the execution report all carry the reason.
"""

from dataclasses import replace
from typing import Any

from engine.core import OrderStatus
from engine.core.enums import Reason
from engine.core.events import OrderEvent


def staff_canceled(events: list[Any]) -> list[Any]:
    """`events` with each reasonless CANCELED order event given reason STAFF_CANCELED."""
    return [
        replace(e, reason=Reason.STAFF_CANCELED)
        if type(e) is OrderEvent and e.status is OrderStatus.CANCELED and e.reason is None
        else e
        for e in events
    ]
