"""Serializer building blocks shared by every API: strict input and exact amounts."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from accounts.money import DECIMAL_PLACES, MAX_AMOUNT


class StrictSerializer(serializers.Serializer):
    """Input serializer that refuses fields it does not know (code -1104) instead of ignoring them."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise ValidationError({unknown[0]: [ErrorDetail("Unknown field.", code="unknown_field")]})
        return super().to_internal_value(data)


class AmountField(serializers.DecimalField):
    """A positive exact amount: string or number in, string out; NaN, Infinity, <= 0, too many
    decimals and values beyond the storable range are refused."""

    default_error_messages = {"not_positive": "Must be greater than zero."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", DECIMAL_PLACES)
        kwargs.setdefault("max_value", MAX_AMOUNT)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool):
            self.fail("invalid")
        value: Decimal = super().to_internal_value(data)
        if value <= 0:
            self.fail("not_positive")
        return value
