"""The trading page's order estimate: what the order form would do, shown as the trader types.

`POST /markets/<SYMBOL>/order/test/` takes the order form's fields (the same `OrderForm` the form's
own POST uses, so the same parsing and the same words for a refusal), calls the test-order service
(`trading.whatif.order_test`, as `POST /api/v1/orders/test/` does, with its throttle) and answers
JSON in a sentence. A refusal is an answer here, not a failed request: it is 200 with `ok: false`,
so the page shows it in place and the browser logs no failed request for each keystroke
(docs/web.md, "Order estimate").
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from quantx_site.errors import ApiError
from trading.forms import OrderForm
from trading.models import Instrument, OrderType
from trading.selectors import instrument_get
from trading.serializers import order_place_kwargs
from trading.templatetags.qx import reason_words
from trading.whatif import order_test
from trading.whatif_api import OrderTestThrottle

STOP_TYPES = (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)


@require_POST
def order_estimate(request: HttpRequest, symbol: str) -> JsonResponse:
    """`{"ok": true, "text": ..., "estimate": ESTIMATE}` or `{"ok": false, "text": why, "errors": ...}`."""
    try:
        instrument = instrument_get(symbol=symbol)
    except ApiError:
        raise Http404(f"No market {symbol}") from None
    if not request.user.is_authenticated:
        return JsonResponse({"ok": False, "text": "Log in to trade.", "errors": {}}, status=401)
    throttle = OrderTestThrottle()
    if not throttle.allow_request(request, None):  # type: ignore[arg-type]
        return JsonResponse({"ok": False, "text": "", "errors": {}, "throttled": True})
    form = OrderForm(request.POST, instrument=instrument)
    if form.is_valid():
        order = form.order
        try:
            result = order_test(
                user=request.user,  # type: ignore[arg-type]
                **order_place_kwargs(order),
            )
        except ApiError as exc:
            form.add_refusal(exc)
        else:
            text = estimate_words(result.estimate, instrument=instrument, order_type=order["type"])
            return JsonResponse({"ok": True, "text": text, "estimate": dict(result.estimate)})
    errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
    words = [w for errs in errors.values() for w in errs]
    return JsonResponse(
        {"ok": False, "text": " ".join(words), "errors": errors, "reason": form.refusal_reason}
    )


def _n(value: Any) -> str:
    return f"{Decimal(value).normalize():f}"


def estimate_words(estimate: Mapping[str, Any], *, instrument: Instrument, order_type: str) -> str:
    """The estimate in a line: "Would fill 0.5 BTC at avg 100.6 USD, fee 0.001 BTC · rests 0.1 BTC at
    101 USD · holds 60.6 USD", or what else would happen (expire, wait for its stop)."""
    base, quote = instrument.base.code, instrument.quote.code
    parts: list[str] = []
    if Decimal(estimate["filled"]):
        parts.append(
            f"Would fill {_n(estimate['filled'])} {base} at avg {_n(estimate['avg_price'])} {quote}, "
            f"fee {_n(estimate['fee'])} {estimate['fee_asset']}"
        )
    rests = Decimal(estimate["rests"])
    if rests and order_type in STOP_TYPES:
        parts.append(
            f"Would wait for the stop price, then {_n(rests)} {base} at {_n(estimate['rest_price'])} {quote}"
        )
    elif rests:
        parts.append(
            f"{'rests' if parts else 'Would rest'} {_n(rests)} {base} at {_n(estimate['rest_price'])} {quote}"
        )
    if estimate["status"] == "EXPIRED":
        why = reason_words(estimate["reason"])
        parts.append(f"{'the rest expires' if parts else 'Would expire'}: {why}")
    if Decimal(estimate["hold"]):
        parts.append(f"holds {_n(estimate['hold'])} {estimate['hold_asset']}")
    line = " · ".join(parts) + "."
    return line[:1].upper() + line[1:]
