"""Channel names, message types and the command/reply shapes of the engine worker.

Everything that crosses the channel layer is plain JSON-able data: amounts are decimal strings
(the layer carries no Decimal), ids are ints. One module, so producers and the worker agree.
"""

from typing import Any, Final

ENGINE_CHANNEL: Final = "engine"
"""The fixed channel the engine worker consumes (`manage.py runworker engine`)."""

COMMAND_TYPE: Final = "engine.command"
"""`type` of a command message; Channels dispatches it to EngineConsumer.engine_command."""

REPLY_CHANNEL_PREFIX: Final = "engine-reply."
"""Each event loop of a client process has one ordinary channel `engine-reply.<hex>`; a command
message carries it as `reply_to` with a request id `rid`, and the worker answers
`{"rid": rid, "reply": REPLY}` there (engine.client.seam)."""

REPLY_BATCH: Final = 512
"""Most replies a client's listener takes from its channel in one round trip."""

INSTRUMENTS_VERSION: Final = "instruments_version"
"""Key of every reply message (beside `rid` and `reply`): a token that changes whenever the engine
reloads an instrument or changes its status, so web processes drop their cached instruments at
once (engine.client.seam.on_instruments_version)."""

REPLY_TIMEOUT_SECONDS: Final = 5.0

# Operations (the `op` of a command).
OP_PLACE: Final = "place"
OP_CANCEL: Final = "cancel"
OP_CANCEL_ALL: Final = "cancel_all"
OP_AMEND: Final = "amend"
OP_DEPOSIT: Final = "deposit"
OP_ADJUST: Final = "adjust"
OP_SET_STATUS: Final = "set_status"
OP_RELOAD_INSTRUMENT: Final = "reload_instrument"
OP_STATE: Final = "state"
OP_PLACE_OCO: Final = "place_oco"
OP_CANCEL_LIST: Final = "cancel_list"
OP_TEST_PLACE: Final = "test_place"  # a place that changes nothing (engine.worker.whatif)

OP_WITHDRAWAL_REQUEST: Final = "withdrawal_request"
OP_WITHDRAWAL_CANCEL: Final = "withdrawal_cancel"
OP_WITHDRAWAL_APPROVE: Final = "withdrawal_approve"
OP_WITHDRAWAL_REJECT: Final = "withdrawal_reject"

OP_CANCEL_AFTER: Final = "cancel_after"  # the dead-man's switch (engine.worker.timers)
OP_COD_OPEN: Final = "cod_open"
OP_COD_CLOSE: Final = "cod_close"
OP_COD_RENEW: Final = "cod_renew"
OP_TIMERS_FIRE: Final = "timers_fire"  # internal: the worker's clock tick
OPS: Final = frozenset(
    {
        OP_PLACE,
        OP_CANCEL,
        OP_CANCEL_ALL,
        OP_AMEND,
        OP_DEPOSIT,
        OP_ADJUST,
        OP_SET_STATUS,
        OP_RELOAD_INSTRUMENT,
        OP_STATE,
        OP_PLACE_OCO,
        OP_CANCEL_LIST,
        OP_TEST_PLACE,
        OP_WITHDRAWAL_REQUEST,
        OP_WITHDRAWAL_CANCEL,
        OP_WITHDRAWAL_APPROVE,
        OP_WITHDRAWAL_REJECT,
        OP_CANCEL_AFTER,
        OP_COD_OPEN,
        OP_COD_CLOSE,
        OP_COD_RENEW,
        OP_TIMERS_FIRE,
    }
)

CANCEL_AFTER_MIN_MS: Final = 1_000
CANCEL_AFTER_MAX_MS: Final = 600_000
"""`cancel_after` timeouts: 0 (disarm) or MIN..MAX ms (the API refuses others; the engine refuses
anything above MAX or below 0)."""
LEASE_ID_MAX: Final = 64
"""Longest cancel-on-disconnect lease id (the web processes use uuid4 hex)."""

Command = dict[str, Any]
"""{"op": ..., plus the op's fields}. See docs/engine-worker.md for each op's fields."""

Reply = dict[str, Any]
"""{"ok": true, ...result} or {"ok": false, "reason": "RISK_INSUFFICIENT_FUNDS", "msg": "..."}."""
