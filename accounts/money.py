"""Exact money: amounts are `Decimal` everywhere and stored as integer atoms of 1e-8.

SQLite keeps only ~15 significant digits of a NUMERIC column, so a balance like
12345678901.12345678 would not survive it. Storing atoms in a BIGINT column is exact on SQLite and
PostgreSQL, sums in SQL stay exact, and the engine's integer arithmetic maps onto it directly.
The price of that is a range: |amount| <= MAX_AMOUNT (about 92 billion) with 8 decimal places.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

DECIMAL_PLACES = 8
ATOMS_PER_UNIT = 10**DECIMAL_PLACES
ATOM = Decimal(1).scaleb(-DECIMAL_PLACES)
MAX_ATOMS = 2**63 - 1
MAX_AMOUNT = Decimal(MAX_ATOMS).scaleb(-DECIMAL_PLACES)


def to_atoms(value: Decimal | int | str) -> int:
    """Exact conversion to atoms; raises ValueError on more than 8 decimal places or a non-finite value."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError):
        raise ValueError(f"{value!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    scaled = amount.scaleb(DECIMAL_PLACES)
    atoms = int(scaled)
    if scaled != atoms:
        raise ValueError(f"{value} has more than {DECIMAL_PLACES} decimal places")
    if abs(atoms) > MAX_ATOMS:
        raise ValueError(f"{value} is out of range (max {MAX_AMOUNT})")
    return atoms


def from_atoms(atoms: int) -> Decimal:
    """Atoms to a Decimal with exactly 8 decimal places (e.g. 150000000 -> Decimal('1.50000000'))."""
    return Decimal(atoms).scaleb(-DECIMAL_PLACES)


def plain_decimal(value: Decimal | None) -> str | None:
    """A decimal for the wire: plain notation, never exponent ('0.00000001', not '1E-8')."""
    return None if value is None else f"{value.normalize():f}"


class MoneyField(models.BigIntegerField):
    """A Decimal amount with 8 decimal places, stored exactly as a BIGINT of atoms."""

    description = "Exact amount (8 decimal places) stored as integer atoms"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        return None if value is None else from_atoms(int(value))

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        try:
            return from_atoms(to_atoms(str(value)))
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from None

    def get_prep_value(self, value: Any) -> int | None:
        if value is None:
            return None
        if hasattr(value, "resolve_expression"):
            return value  # type: ignore[no-any-return]
        if isinstance(value, float):
            raise TypeError("MoneyField refuses float; pass a Decimal or a string")
        return to_atoms(value)

    def formfield(self, **kwargs: Any) -> forms.Field:
        defaults = {"form_class": forms.DecimalField, "max_digits": 20, "decimal_places": DECIMAL_PLACES}
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)  # type: ignore[arg-type]
