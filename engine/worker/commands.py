"""Parsing of engine command fields: the worker trusts no caller (API, admin, scripts) blindly."""

from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from accounts.money import MAX_AMOUNT

E = TypeVar("E")


class CommandRefused(Exception):
    """A command the worker will not carry out; nothing changed."""

    def __init__(self, reason: str, msg: str) -> None:
        super().__init__(msg)
        self.reason = reason
        self.msg = msg

    def reply(self) -> dict[str, Any]:
        return {"ok": False, "reason": self.reason, "msg": self.msg}


def bad(msg: str) -> CommandRefused:
    return CommandRefused("WORKER_BAD_COMMAND", msg)


def get_int(cmd: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = cmd.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad(f"{name} must be an integer")
    return value


def get_str(cmd: dict[str, Any], name: str, *, required: bool = True, default: str = "") -> str:
    value = cmd.get(name)
    if value is None:
        if required:
            raise bad(f"{name} is required")
        return default
    if not isinstance(value, str):
        raise bad(f"{name} must be a string")
    return value


def get_choice(cmd: dict[str, Any], name: str, enum: type[E], *, default: E | None = None) -> E:
    raw = cmd.get(name)
    if raw is None and default is not None:
        return default
    try:
        return enum(raw)  # type: ignore[call-arg]
    except ValueError:
        raise bad(f"{name} {raw!r} is not one of {[e.value for e in enum]}") from None  # type: ignore[attr-defined]


def get_decimal(
    cmd: dict[str, Any], name: str, *, required: bool = True, signed: bool = False
) -> Decimal | None:
    """A decimal string field: finite, within the storable range, > 0 unless `signed` (then != 0)."""
    raw = cmd.get(name)
    if raw is None:
        if required:
            raise bad(f"{name} is required")
        return None
    if not isinstance(raw, str):
        raise bad(f"{name} must be a decimal string")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise bad(f"{name} {raw!r} is not a decimal") from None
    if not value.is_finite() or abs(value) > MAX_AMOUNT:
        raise bad(f"{name} {raw!r} is out of range")
    if (value == 0) if signed else (value <= 0):
        raise bad(f"{name} must be {'non-zero' if signed else 'positive'}")
    return value
