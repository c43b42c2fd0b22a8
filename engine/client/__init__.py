"""The engine client: what web processes import to reach the engine worker (never the worker itself).

`engine_request` / `engine_request_sync` send one command and wait for its committed reply;
`engine.client.protocol` names the channels, ops and shapes; `engine.client.layers` adds batch
send/receive to the channel layers; `engine.client.embedded` starts the worker in-process when
the embedded mode is on.
"""

from engine.client.seam import (
    EngineBusy,
    EngineUnavailable,
    engine_request,
    engine_request_sync,
    on_instruments_version,
)

__all__ = [
    "EngineBusy",
    "EngineUnavailable",
    "engine_request",
    "engine_request_sync",
    "on_instruments_version",
]
