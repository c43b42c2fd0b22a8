"""The trader pages' OCO order lists: the OCO form of the trading page (POST) and the cancel button
of a list on the orders page (POST). Plain forms that work without JavaScript: the API's own input
serializer and services (trading.order_lists), a message and a redirect back (`post_answer`).

The page asks in a trader's words: a take-profit price (the LIMIT_MAKER leg) and a stop price with
its limit price, or a trailing delta instead of the stop price (the STOP_LOSS_LIMIT leg); which leg
is "above" follows from the side.
"""

import uuid
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as DrfValidationError

from quantx_site.errors import ApiError
from quantx_site.serializers import validated
from trading import order_lists
from trading.api import OrderPlaceThrottle
from trading.forms import ApiErrorsMixin, error_words
from trading.models import Side
from trading.order_list_serializers import OcoPlaceInputSerializer, OrderListOutputSerializer
from trading.views import AREA_ORDER, AREA_ORDERS, _instrument, post_answer, safe_next


def new_client_list_id() -> str:
    return f"web-oco-{uuid.uuid4().hex[:20]}"


class OcoForm(ApiErrorsMixin, forms.Form):
    """The trading page's OCO form; `clean` builds the API's body and runs its serializer."""

    side = forms.ChoiceField(choices=Side.choices, initial=Side.SELL, widget=forms.RadioSelect)
    qty = forms.CharField(label="Amount")
    limit_price = forms.CharField(label="Take-profit price")
    stop_price = forms.CharField(required=False, label="Stop price")
    trailing_delta = forms.CharField(required=False, label="Trailing delta (bp)")
    stop_limit_price = forms.CharField(label="Stop limit price")
    client_list_id = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, symbol: str = "", **kwargs: Any) -> None:
        super().__init__(*args, prefix="oco", **kwargs)
        self.symbol = symbol
        self.refusal_reason = ""
        if not self.is_bound:
            self.initial["client_list_id"] = new_client_list_id()
        for name in ("qty", "limit_price", "stop_price", "stop_limit_price", "trailing_delta"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        sell = data["side"] == Side.SELL
        limit_at, stop_at = ("above", "below") if sell else ("below", "above")
        body: dict[str, Any] = {
            "symbol": self.symbol,
            "side": data["side"],
            "qty": data["qty"].strip(),
            f"{limit_at}_type": "LIMIT_MAKER",
            f"{limit_at}_price": data["limit_price"].strip(),
            f"{stop_at}_type": "STOP_LOSS_LIMIT",
            f"{stop_at}_price": data["stop_limit_price"].strip(),
        }
        if data.get("stop_price", "").strip():
            body[f"{stop_at}_stop_price"] = data["stop_price"].strip()
        if data.get("trailing_delta", "").strip():
            body[f"{stop_at}_trailing_delta"] = data["trailing_delta"].strip()
        if data.get("client_list_id"):
            body["client_list_id"] = data["client_list_id"]
        self.field_map = {
            f"{limit_at}_price": "limit_price",
            f"{stop_at}_price": "stop_limit_price",
            f"{stop_at}_stop_price": "stop_price",
            f"{stop_at}_trailing_delta": "trailing_delta",
        }
        try:
            self.body = validated(OcoPlaceInputSerializer, body)
        except DrfValidationError as exc:
            self.add_api_error(exc)
        return data


@require_POST
@login_required
def order_list_place(request: HttpRequest, symbol: str) -> HttpResponse:
    """The OCO form's POST: places the list, or says why not, back on the trading page."""
    instrument = _instrument(symbol)
    page = reverse("trade", args=[instrument.symbol])
    if not OrderPlaceThrottle().allow_request(request, None):  # type: ignore[arg-type]
        return post_answer(request, ok=False, level="error", text="Too many orders: try again shortly.",
                           area=AREA_ORDER, back=page)  # fmt: skip
    form = OcoForm(request.POST, symbol=instrument.symbol)
    if form.is_valid():
        body = form.body
        legs = {
            where: order_lists.OcoLeg(
                type=body[f"{where}_type"],
                price=body.get(f"{where}_price"),
                stop_price=body.get(f"{where}_stop_price"),
                trailing_delta=body.get(f"{where}_trailing_delta"),
                client_order_id=None,
            )
            for where in ("above", "below")
        }
        try:
            placed = order_lists.order_list_place(
                user=request.user,  # type: ignore[arg-type]
                symbol=instrument.symbol,
                side=body["side"],
                qty=body["qty"],
                above=legs["above"],
                below=legs["below"],
                client_list_id=body.get("client_list_id"),
            )
        except ApiError as exc:
            form.add_api_error(exc, instrument=instrument, side=body["side"])
        else:
            lst = OrderListOutputSerializer(placed.order_list).data
            what = f"OCO list #{lst['id']}"
            text = (
                f"{what} was already placed by this form; nothing new was sent."
                if placed.duplicate
                else f"{what} placed: take profit at {body[_limit_price_key(body)]}, stop loss below it."
                if body["side"] == Side.SELL
                else f"{what} placed: buy at {body[_limit_price_key(body)]} or on the stop above."
            )
            return post_answer(request, ok=True, level="success", text=text, area=AREA_ORDER, back=page,
                               data={"order_list": lst})  # fmt: skip
    words = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return post_answer(request, ok=False, level="error", text=f"OCO list not placed: {words}", area=AREA_ORDER,
                       back=page)  # fmt: skip


def _limit_price_key(body: dict[str, Any]) -> str:
    return "above_price" if body["above_type"] == "LIMIT_MAKER" else "below_price"


@require_POST
@login_required
def order_list_cancel(request: HttpRequest, order_list_id: int) -> HttpResponse:
    """A list's Cancel button: cancels what is still open of it."""
    back = safe_next(request, reverse("orders"))
    try:
        lst = order_lists.order_list_cancel(user=request.user, order_list_id=order_list_id)  # type: ignore[arg-type]
    except ApiError as exc:
        text = f"OCO list #{order_list_id} was not canceled: {error_words(exc)}"
        return post_answer(request, ok=False, level="error", text=text, area=AREA_ORDERS, back=back)
    return post_answer(request, ok=True, level="success", text=f"OCO list #{order_list_id} canceled.",
                       area=AREA_ORDERS, back=back, data={"order_list": OrderListOutputSerializer(lst).data})  # fmt: skip


def order_lists_recent(*, user: Any, limit: int = 20) -> list[Any]:
    """The user's latest lists with their legs, for the orders page."""
    return list(order_lists.order_list_list(user=user)[:limit])
