"""Forms of the trader pages: they render the inputs, keep what was typed and say what went wrong.

They do not validate orders themselves: an order form hands what was typed to the API's own input
serializer (`OrderPlaceInputSerializer`), and the view passes the result to the same service the API
calls (`trading.services.order_place`), so a page and an API client are refused for the same
reasons. What this module adds is the wording: `error_words` turns a coded `ApiError` into a
sentence a trader understands, naming the instrument's actual tick, lot and limits.
"""

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from rest_framework.exceptions import ValidationError as DrfValidationError

from accounts.money import plain_decimal
from quantx_site.errors import ApiError, ErrorCode
from quantx_site.serializers import validated
from quantx_site.time_range_form import TimeRangeFormMixin
from trading.filters import NO_TIF_TYPES
from trading.models import Instrument, OrderStatus, OrderType, Side, TimeInForce
from trading.serializers import (
    STATUS_FILTERS,
    OrderAmendInputSerializer,
    OrderPlaceInputSerializer,
)

ORDER_TYPES = [
    (OrderType.LIMIT.value, "Limit"),
    (OrderType.MARKET.value, "Market"),
    (OrderType.LIMIT_MAKER.value, "Limit maker (post-only)"),
    (OrderType.STOP_LOSS_LIMIT.value, "Stop-loss limit"),
    (OrderType.TAKE_PROFIT_LIMIT.value, "Take-profit limit"),
]
TIFS = [
    (TimeInForce.GTC.value, "GTC: good till canceled"),
    (TimeInForce.IOC.value, "IOC: fill what you can now, cancel the rest"),
    (TimeInForce.FOK.value, "FOK: fill all now or nothing"),
]
FIELD_LABELS = {
    "price": "Price",
    "stop_price": "Stop price",
    "qty": "Amount",
    "quote_qty": "Total",
    "tif": "Time in force",
    "side": "Side",
    "type": "Order type",
    "symbol": "Market",
    "client_order_id": "Order id",
    "trailing_delta": "Trailing delta",
}
STATUS_CHOICES = [("", "Any status")] + [(s, s.replace("_", " ").capitalize()) for s in STATUS_FILTERS]


def new_client_order_id() -> str:
    """A fresh id for one rendering of the order form: submitting the same form twice (a double
    click, a browser retry) returns the first order instead of placing a second one."""
    return f"web-{uuid.uuid4().hex[:24]}"


# ------------------------------------------------------------------------------------ words


def error_words(exc: ApiError, *, instrument: Instrument | None = None, side: str | None = None) -> str:
    """What an API refusal means for the trader, in a sentence (the reason code stays in `exc`)."""
    reason = str(exc.extra.get("reason") or "")
    field = str(exc.extra.get("field") or "")
    label = FIELD_LABELS.get(field, field.replace("_", " ").capitalize() or "This value")
    i = instrument
    if i is not None:
        base, quote = i.base.code, i.quote.code
        by_reason = {
            "FILTER_TICK_SIZE": f"{label} must be a multiple of {plain_decimal(i.tick_size)} {quote} (the tick size).",
            "FILTER_LOT_SIZE": (
                f"Total must be a multiple of {plain_decimal(i.tick_size * i.lot_size)} {quote}."
                if field == "quote_qty"
                else f"Amount must be a multiple of {plain_decimal(i.lot_size)} {base} (the lot size)."
            ),
            "FILTER_MIN_QTY": f"Amount must be at least {plain_decimal(i.min_qty)} {base}.",
            "FILTER_MAX_QTY": f"Amount can be at most {plain_decimal(i.max_qty)} {base}.",
            "FILTER_MIN_NOTIONAL": f"Order value (price × amount) must be at least {plain_decimal(i.min_notional)} {quote}.",
            "WORKER_INSTRUMENT_HALTED": f"Trading in {i.symbol} is halted: no new orders are accepted right now.",
            "WORKER_CANCEL_ONLY": f"{i.symbol} is in cancel-only mode: you can cancel orders but not place new ones.",
        }
        if reason == "RISK_INSUFFICIENT_FUNDS":
            asset = base if side == Side.SELL else quote if side == Side.BUY else f"{base} or {quote}"
            return f"Not enough {asset} available for this order. Lower the amount, or free funds by canceling orders."
        if reason in by_reason:
            return by_reason[reason]
    words = {
        "RISK_INSUFFICIENT_FUNDS": "Not enough available balance for this order.",
        "MATCHING_WOULD_TAKE": "Rejected: a post-only (limit maker) order may not trade at once, and this price "
        "would have matched an order in the book. Choose a price that does not cross the book.",
        "MATCHING_WOULD_TRIGGER_IMMEDIATELY": "Rejected: the market is already past this stop price, so the stop "
        "would trigger at once. Use a limit order, or a stop price the market has not reached.",
        "MATCHING_ORDER_CLOSED": "This order is no longer open: it was filled, canceled or expired meanwhile.",
        "MATCHING_BAD_AMEND": "The new amount must be smaller than the amount still open: an amend can only reduce "
        "an order.",
        "FILTER_BAD_PARAMS": "These fields do not fit together for this order type.",
        "FILTER_TRAILING_DELTA": "The trailing delta must be a whole number of basis points from 1 to 2000 "
        "(100 = 1%).",
        "FILTER_OCO_PRICES": "For a sell the take-profit price must be above the stop price; for a buy, below.",
        "MATCHING_OCO_OTHER_LEG": "The other order of its OCO list filled, triggered or ended.",
        "MATCHING_ORDER_LIST_CLOSED": "This order list has already ended.",
        "WORKER_DUPLICATE_CLIENT_ORDER_ID": "One of these order ids was used before.",
        "WORKER_INSTRUMENT_HALTED": "Trading is halted: no new orders are accepted right now.",
        "WORKER_CANCEL_ONLY": "This market accepts cancels only right now.",
        "FAUCET_MAX_PER_CALL": f"{exc.msg.removeprefix('amount: ')}",
        "FAUCET_MAX_PER_DAY": f"Daily faucet limit reached: {exc.msg.removeprefix('amount: ')}",
    }
    if reason in words:
        return words[reason]
    code = exc.error_code
    if code == ErrorCode.STATUS_UNKNOWN:
        return (
            "The exchange did not confirm in time, so it is not known yet whether this went through. "
            "Check your open orders before trying again."
        )
    if code == ErrorCode.SERVER_BUSY:
        return "The exchange is busy and did nothing. Try again in a moment."
    if code == ErrorCode.UNKNOWN:
        return "The exchange could not carry this out and nothing was changed. Try again."
    if code == ErrorCode.NO_SUCH_ORDER:
        return "That order does not exist (or is not yours)."
    if code == ErrorCode.MANDATORY_PARAM_MISSING:
        return f"{label} is required here."
    if code == ErrorCode.PARAMETER_NOT_REQUIRED:
        return f"{label} does not apply to this order type: leave it empty."
    if code == ErrorCode.BAD_SYMBOL:
        return "There is no such market."
    if code == ErrorCode.DISABLED:
        return exc.msg
    msg = exc.msg
    return msg.split(": ", 1)[1] if field and msg.startswith(f"{field}: ") else msg


def _drf_message(detail: Any) -> tuple[str, str]:
    """(field, words) of the first message in a DRF validation error."""
    if isinstance(detail, Mapping):
        key, value = next(iter(detail.items()))
        field = "" if key in ("non_field_errors", "detail") else str(key)
        _, words = _drf_message(value)
        return field, words
    if isinstance(detail, list) and detail:
        return _drf_message(detail[0])
    code = getattr(detail, "code", "")
    words = {
        "invalid": "Enter a number, like 0.5.",
        "max_decimal_places": "Use at most 8 decimal places.",
        "max_digits": "That number is too long.",
        "max_value": "That number is too large.",
        "not_positive": "Must be greater than zero.",
        "invalid_choice": "Choose one of the options.",
        "required": "This field is required.",
    }.get(str(code))
    return "", words or str(detail)


class ApiErrorsMixin:
    """Adds a refusal (a DRF ValidationError or an ApiError) to the field it is about."""

    field_map: dict[str, str] = {}

    def add_api_error(self, exc: Exception, **context: Any) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        if isinstance(exc, DrfValidationError):
            field, words = _drf_message(exc.detail)
        elif isinstance(exc, ApiError):
            field, words = str(exc.extra.get("field") or ""), error_words(exc, **context)
            reason = exc.extra.get("reason")
            if reason:
                form.refusal_reason = str(reason)  # type: ignore[attr-defined]
        else:
            raise exc
        field = self.field_map.get(field, field)
        form.add_error(field if field in form.fields else None, words)


# ------------------------------------------------------------------------------------ orders


class OrderForm(ApiErrorsMixin, forms.Form):
    """Order entry. `clean` runs the API's input serializer; the view then calls `order_place`."""

    side = forms.ChoiceField(choices=Side.choices, initial=Side.BUY, widget=forms.RadioSelect)
    type = forms.ChoiceField(choices=ORDER_TYPES, initial=OrderType.LIMIT, label="Order type")
    stop_price = forms.CharField(required=False, label="Stop price")
    trailing_delta = forms.CharField(required=False, label="Trailing delta (basis points)")
    price = forms.CharField(required=False, label="Price")
    qty = forms.CharField(required=False, label="Amount")
    quote_qty = forms.CharField(required=False, label="Total (market orders)")
    tif = forms.ChoiceField(choices=TIFS, initial=TimeInForce.GTC, required=False, label="Time in force")
    client_order_id = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.refusal_reason = ""
        if not self.is_bound:
            self.initial["client_order_id"] = new_client_order_id()
        for name in ("price", "stop_price", "qty", "quote_qty"):
            widget = self.fields[name].widget
            widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        self.fields["trailing_delta"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        order_type = data.get("type")
        payload: dict[str, Any] = {
            "symbol": self.instrument.symbol,
            "side": data.get("side"),
            "type": order_type,
        }
        for name in ("price", "stop_price", "qty", "quote_qty", "client_order_id", "trailing_delta"):
            value = (data.get(name) or "").strip()
            if value:
                payload[name] = value
        # Without JavaScript every input is visible: a time in force left at its default on a type that
        # takes none is not the trader's mistake, so it is dropped rather than refused.
        if data.get("tif") and order_type not in NO_TIF_TYPES:
            payload["tif"] = data["tif"]
        try:
            self.order = validated(OrderPlaceInputSerializer, payload)
        except DrfValidationError as exc:
            self.add_api_error(exc)
        return data

    def add_refusal(self, exc: ApiError) -> None:
        side = self.cleaned_data.get("side") if hasattr(self, "cleaned_data") else None
        self.add_api_error(exc, instrument=self.instrument, side=side)

    def renew_client_order_id(self) -> None:
        """After an order was stored (placed, or REJECTED by the engine) its id is used up: the form
        shown again gets a new one. A refusal that stored nothing keeps the id, so that retrying after
        "status unknown" can never place the order twice."""
        self.data = self.data.copy()
        self.data["client_order_id"] = new_client_order_id()


class AmendForm(ApiErrorsMixin, forms.Form):
    qty = forms.CharField(label="New amount")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            try:
                self.amend = validated(OrderAmendInputSerializer, {"qty": data["qty"].strip()})
            except DrfValidationError as exc:
                self.add_api_error(exc)
        return data


# ------------------------------------------------------------------------------------ filters


class OrderFilterForm(TimeRangeFormMixin, forms.Form):
    symbol = forms.ChoiceField(required=False, label="Market")
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    side = forms.ChoiceField(choices=[("", "Both sides"), *Side.choices], required=False)
    field_order = ["symbol", "status", "side", "start", "end"]
    before = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, symbols: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["symbol"].choices = [("", "All markets"), *((s, s) for s in symbols)]


class FillFilterForm(TimeRangeFormMixin, forms.Form):
    symbol = forms.ChoiceField(required=False, label="Market")
    field_order = ["symbol", "start", "end"]
    before = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, symbols: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["symbol"].choices = [("", "All markets"), *((s, s) for s in symbols)]


def status_statuses(value: str) -> tuple[str, ...] | None:
    """The statuses an order-history filter value stands for ("open", "closed" or one status)."""
    return STATUS_FILTERS.get(value) if value else None


def order_outcome_words(order: Any, *, instrument: Instrument, duplicate: bool = False) -> tuple[str, str]:
    """(level, sentence) telling the trader what became of an order just placed.

    `order` is an engine reply dict or an `Order` row (same field names). level is a messages tag:
    "success", or "warning" when nothing (or not everything) was done.
    """

    def get(name: str) -> Any:
        return order.get(name) if isinstance(order, Mapping) else getattr(order, name)

    def amount(name: str) -> Decimal:
        value = get(name)
        return Decimal(str(value)) if value is not None else Decimal(0)

    base, quote = instrument.base.code, instrument.quote.code
    kind = dict(ORDER_TYPES).get(get("type"), get("type")).lower()
    what = f"{get('side').capitalize()} {kind} order #{get('id')}"
    if duplicate:
        return "warning", f"{what} was already placed by this form; nothing new was sent."
    status, filled = get("status"), amount("filled")
    quote_filled = amount("quote_filled")
    avg = f" at an average {plain_decimal(quote_filled / filled)} {quote}" if filled else ""
    if status == OrderStatus.FILLED:
        return "success", f"{what} filled: {plain_decimal(filled)} {base}{avg}."
    if status == OrderStatus.PARTIALLY_FILLED:
        return "success", (
            f"{what} partly filled: {plain_decimal(filled)} {base}{avg}; {plain_decimal(amount('remaining'))} {base} "
            "rests in the book."
        )
    if status == OrderStatus.EXPIRED:
        why = {
            "MATCHING_NO_LIQUIDITY": "there was not enough liquidity in the book",
            "MATCHING_FOK_NOT_FILLABLE": "it could not be filled completely at once (fill or kill)",
            "MATCHING_STP": "it would have traded with one of your own orders",
        }.get(get("reason") or "", "its time in force ran out")
        done = f"filled {plain_decimal(filled)} {base}{avg}, the rest" if filled else "nothing filled: it"
        return "warning", f"{what}: {done} expired because {why}."
    if get("trailing_delta"):
        return "success", (
            f"{what} placed: trails the market by {get('trailing_delta')} basis points, then "
            f"{plain_decimal(amount('qty'))} {base} at {plain_decimal(amount('price'))} {quote}."
        )
    if get("stop_price") is not None:
        return "success", (
            f"{what} placed: waits for the stop price {plain_decimal(amount('stop_price'))} {quote}, "
            f"then {plain_decimal(amount('qty'))} {base} at {plain_decimal(amount('price'))} {quote}."
        )
    return (
        "success",
        f"{what} placed: {plain_decimal(amount('qty'))} {base} at {plain_decimal(amount('price'))} {quote}.",
    )
