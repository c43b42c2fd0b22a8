"""The trader pages' OCO order lists: the OCO form of the trading page (POST) and the cancel button
of a list on the orders page (POST). Plain forms that work without JavaScript: the API's own input
serializer and services (trading.order_lists). Placed: a message and a redirect back
(`post_answer`). Refused: like the main order form, the trading page again (400, or 429 when
throttled) with the OCO section open, the typed values kept and the error next to its field (or at
the top of the section), in the words of `error_words`.

The page asks in a trader's words: a take-profit price (the LIMIT_MAKER leg) and a stop price with
its limit price, or a trailing delta instead of the stop price (the STOP_LOSS_LIMIT leg); which leg
is "above" follows from the side.
"""

import uuid
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as DrfValidationError

from quantx_site.errors import ApiError
from quantx_site.serializers import validated
from trading import order_lists
from trading.api import OrderPlaceThrottle
from trading.forms import ApiErrorsMixin, OrderForm, error_words
from trading.models import Instrument, Side
from trading.order_list_serializers import OcoPlaceInputSerializer, OrderListOutputSerializer
from trading.views import (
    AREA_ORDER,
    AREA_ORDERS,
    _instrument,
    _trade_page,
    _wants_json,
    post_answer,
    safe_next,
)


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
        for name in ("qty", "limit_price", "stop_price", "stop_limit_price"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        self.fields["trailing_delta"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

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

    def add_api_error(self, exc: Exception, **context: Any) -> None:
        """As the mixin's, but an engine refusal about a leg's field names this form's field (e.g.
        "Limit price", not "Above price")."""
        if isinstance(exc, ApiError) and exc.extra.get("field") in self.field_map:
            exc.extra["field"] = self.field_map[exc.extra["field"]]
        super().add_api_error(exc, **context)

    def renew_client_list_id(self) -> None:
        """After a list was stored (REJECTED by the engine) its id is used up: the form shown again
        gets a new one. A refusal that stored nothing keeps the id, so that retrying after "status
        unknown" can never place the list twice."""
        self.data = self.data.copy()
        self.data[self.add_prefix("client_list_id")] = new_client_list_id()

    def focus_first_error(self) -> None:
        """Without JavaScript the page comes back at its top: focus (and so scroll to) the field at
        fault, or the amount under an error about the whole list."""
        name = next((n for n, f in self.fields.items() if n in self.errors and not f.widget.is_hidden), "qty")
        self.fields[name].widget.attrs["autofocus"] = True


@require_POST
@login_required
def order_list_place(request: HttpRequest, symbol: str) -> HttpResponse:
    """The OCO form's POST: places the list, or shows the trading page again saying why not."""
    instrument = _instrument(symbol)
    page = reverse("trade", args=[instrument.symbol])
    form = OcoForm(request.POST, symbol=instrument.symbol)
    throttle = OrderPlaceThrottle()  # the API's order limit: one counter per user, whatever the door
    if not throttle.allow_request(request, None):  # type: ignore[arg-type]
        wait = max(1, int(throttle.wait() or 1))
        form.is_valid()
        form.add_error(
            None, f"Too many orders: the order rate limit was reached. Try again in {wait} seconds."
        )
        response = _refused(request, instrument, form, status=429)
        response["Retry-After"] = str(wait)
        return response
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
            if "order_list_id" in exc.extra:  # stored as REJECTED: its client list id is used up
                form.renew_client_list_id()
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
    return _refused(request, instrument, form, status=400)


def _refused(request: HttpRequest, instrument: Instrument, form: OcoForm, *, status: int) -> HttpResponse:
    """A refused OCO form: as JSON for a script (like the main form's), else the trading page again."""
    if _wants_json(request):
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return JsonResponse(
            {"ok": False, "level": "error", "message": " ".join(errors.pop("__all__", [])), "errors": errors,
             "reason": form.refusal_reason, "client_list_id": form.data.get(form.add_prefix("client_list_id"), "")},
            status=status,
        )  # fmt: skip
    form.focus_first_error()
    return _trade_page(request, instrument, OrderForm(instrument=instrument), status=status, oco_form=form)


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
