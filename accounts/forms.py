from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.ledger_words import LEDGER_REASON_CHOICES
from accounts.models import ApiKeyScope, User
from quantx_site.time_range_form import TimeRangeFormMixin


class SignupForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


# --------------------------------------------------------------------------- account pages
# These forms render inputs and keep what was typed; the values are validated by the API's own
# input serializers (accounts.api_account / accounts.api) and acted on by the same services.


class FaucetForm(forms.Form):
    asset = forms.ChoiceField(choices=())
    amount = forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))

    def __init__(self, *args: Any, assets: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].choices = [(a, a) for a in assets]


class LedgerFilterForm(TimeRangeFormMixin, forms.Form):
    asset = forms.ChoiceField(required=False)
    reason = forms.ChoiceField(choices=[("", "Any reason"), *LEDGER_REASON_CHOICES], required=False)
    field_order = ["asset", "reason", "start", "end"]
    before = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, assets: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].choices = [("", "All assets"), *((a, a) for a in assets)]


class ApiKeyForm(forms.Form):
    label = forms.CharField(max_length=64, required=False, help_text="A name to recognise the key by.")
    scopes = forms.MultipleChoiceField(
        choices=[(ApiKeyScope.READ.value, "Read: balances, orders, fills"),
                 (ApiKeyScope.TRADE.value, "Trade: place and cancel orders, faucet")],
        initial=[ApiKeyScope.READ.value],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one scope."},
    )  # fmt: skip
