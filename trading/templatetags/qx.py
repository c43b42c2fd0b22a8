"""Template filters of the trader pages: amounts shown exactly (never through float, never rounded)."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from accounts.ledger_words import ledger_reason_words

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


REASON_WORDS = {
    "MATCHING_NO_LIQUIDITY": "not enough orders in the book for the rest",
    "MATCHING_FOK_NOT_FILLABLE": "fill or kill: it could not fill completely at once",
    "MATCHING_STP": "self-trade prevention: it would have traded with your own order",
    "MATCHING_WOULD_TAKE": "post-only: it would have traded at once",
    "MATCHING_WOULD_TRIGGER_IMMEDIATELY": "the stop price was already reached",
    "RISK_INSUFFICIENT_FUNDS": "not enough funds",
    "MATCHING_OCO_OTHER_LEG": "the other order of its OCO list filled, triggered or ended",
    "STAFF_CANCELED": "canceled by the exchange's staff",
    "CANCEL_AFTER": "dead-man's switch: its countdown ran out",
    "CANCEL_ON_DISCONNECT": "dead-man's switch: your connection closed",
}
"""Why an order ended REJECTED or EXPIRED, for traders (the pages and their toasts, via market_config)."""


@register.filter
def reason_words(reason: str) -> str:
    """An engine reason code in words: REASON_WORDS, else the code without its stage, lower case."""
    if not reason:
        return ""
    if reason in REASON_WORDS:
        return REASON_WORDS[reason]
    return reason.split("_", 1)[-1].replace("_", " ").lower()


@register.filter
def ledger_words(entry: Any) -> str:
    """A ledger entry's reason in words (accounts.ledger_words)."""
    return ledger_reason_words(entry)
