"""Exceptions of the engine core.

Commands never raise for bad input: they return a ``Refused`` event. Exceptions are for the edges
(``InstrumentSpec`` conversions), for misuse of set-up/recovery calls, and for broken invariants.
"""

from engine.core.enums import Reason


class EngineError(Exception):
    """Base class of every exception the core raises on purpose."""


class FilterError(EngineError, ValueError):
    """A decimal price or quantity does not fit the instrument (off tick/lot, or not positive)."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class InvariantError(EngineError, AssertionError):
    """``validate()`` found a broken invariant: a bug in the engine, or corrupt restored state."""


class RestoreError(EngineError, ValueError):
    """A restore call got data that cannot be part of a valid state (e.g. it would cross the book)."""
