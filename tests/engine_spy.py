"""A spy on the API's one seam to the engine (`engine.client.seam.engine_request_sync`).

It passes every command to the real engine (embedded, started on first use) and records it in
`calls`, so a test can prove a refused input never reached the engine. `fail_with` makes it raise
instead (EngineUnavailable / EngineBusy), to test the 503 answers without stopping the engine;
`lose_reply` lets the engine carry the command out and then raises EngineUnavailable, as when a
reply is lost after the commit.
"""

from typing import Any

from engine.client import EngineUnavailable, engine_request_sync


class EngineSpy:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_with: Exception | None = None
        self.lose_reply = False

    def __call__(self, command: dict[str, Any], *, timeout: float = 5.0) -> dict[str, Any]:
        self.calls.append(command)
        if self.fail_with is not None:
            raise self.fail_with
        reply = engine_request_sync(command, timeout=timeout)
        if self.lose_reply:
            raise EngineUnavailable("reply lost (test)")
        return reply


def install_engine_spy(monkeypatch: Any) -> EngineSpy:
    spy = EngineSpy()
    monkeypatch.setattr("engine.client.seam.engine_request_sync", spy)
    return spy
