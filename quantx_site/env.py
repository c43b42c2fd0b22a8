"""Typed readers for settings that come from the environment.

Each reader fails loudly (ImproperlyConfigured) on a value it cannot parse, so a typo in a
deployment shows up at start-up instead of as a silently wrong default.
"""

import os
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_decimal_map(name: str, default: dict[str, Decimal]) -> dict[str, Decimal]:
    """`KEY=amount,KEY=amount` (e.g. `USD=10000,BTC=1`): positive decimals with at most 8 places."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return dict(default)
    result: dict[str, Decimal] = {}
    for item in raw.split(","):
        key, sep, value = item.partition("=")
        key = key.strip().upper()
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            amount = Decimal("NaN")
        if not (sep and key and amount.is_finite() and amount > 0 and -amount.as_tuple().exponent <= 8):
            raise ImproperlyConfigured(
                f"{name}: {item.strip()!r} is not KEY=positive amount (8 decimals at most)"
            )
        result[key] = amount
    return result
