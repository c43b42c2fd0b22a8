"""Template filters of the trader pages: amounts shown exactly (never through float, never rounded)."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def amount(value: Any, min_places: int = 2) -> str:
    """An exact amount with at least `min_places` decimals and as many more as it has:
    Decimal("100000") -> "100000.00", Decimal("0.12345") -> "0.12345" (for balances, fees, ledger)."""
    if value is None or value == "":
        return ""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return str(value)
    places = max(int(min_places), -int(number.normalize().as_tuple().exponent))
    text = f"{number:.{places}f}"
    return "0." + "0" * places if text.lstrip("-").strip("0.") == "" else text


@register.filter
def percent(value: Any) -> str:
    """A fee rate as a percentage, exact: "0.001" -> "0.1%"."""
    try:
        number = Decimal(str(value)) * 100
    except InvalidOperation:
        return str(value)
    return f"{number.normalize():f}%"
