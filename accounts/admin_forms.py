"""Forms of the staff tools in admin."""

import uuid
from decimal import Decimal

from django import forms

from accounts.models import Asset
from accounts.money import DECIMAL_PLACES, MAX_AMOUNT


class BalanceAdjustmentForm(forms.Form):
    """Staff credit/debit. `operation_id` is minted when the form is shown, so a double submit
    (or a retry after a timeout) applies the change once."""

    DIRECTIONS = (("credit", "Credit (add to free balance)"), ("debit", "Debit (take from free balance)"))

    asset = forms.ModelChoiceField(queryset=Asset.objects.order_by("code"))
    direction = forms.ChoiceField(choices=DIRECTIONS, widget=forms.RadioSelect, initial="credit")
    amount = forms.DecimalField(
        max_digits=20, decimal_places=DECIMAL_PLACES, min_value=Decimal("0.00000001"), max_value=MAX_AMOUNT
    )
    note = forms.CharField(max_length=200, help_text="Why: shown in the ledger. Required.")
    operation_id = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("initial", {"operation_id": f"staff-{uuid.uuid4()}"})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def signed_amount(self) -> Decimal:
        amount: Decimal = self.cleaned_data["amount"]
        return amount if self.cleaned_data["direction"] == "credit" else -amount
