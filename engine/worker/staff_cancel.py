"""A staff force-cancel ends the order with reason STAFF_CANCELED (a trader's own cancel has none).

The core's cancel is the same for both (a canceled order is a canceled order to the book), and the
core's reasons are its own stages' (FILTER_, MATCHING_, RISK_). The worker, which knows the command
came from staff (`staff_id`), marks the CANCELED events before they are recorded, so the order row,
the reply and the execution report all carry the reason. Everything downstream reads an event's
reason as `reason.value`, which this worker-side enum has like the core's.
"""

from dataclasses import replace
from enum import StrEnum
from typing import Any

from engine.core import OrderStatus
from engine.core.events import OrderEvent


class StaffReason(StrEnum):
    STAFF_CANCELED = "STAFF_CANCELED"


def staff_canceled(events: list[Any]) -> list[Any]:
    """`events` with each reasonless CANCELED order event given reason STAFF_CANCELED."""
    return [
        replace(e, reason=StaffReason.STAFF_CANCELED)
        if type(e) is OrderEvent and e.status is OrderStatus.CANCELED and e.reason is None
        else e
        for e in events
    ]
