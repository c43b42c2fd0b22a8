"""The dead-man's switch on the orders page: arm (or re-arm) a cancel-after countdown, disarm one.

A plain POST form that works without JavaScript (a message and a redirect back to the orders
page); `Accept: application/json` gets the same outcome as JSON (`trading.views.post_answer`). The
panel itself is the `deadman_panel` template tag (trading/templatetags/deadman.py).
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from engine.client.protocol import CANCEL_AFTER_MAX_MS, CANCEL_AFTER_MIN_MS
from quantx_site.errors import ApiError
from trading.deadman import cancel_after_set
from trading.forms import error_words
from trading.views import AREA_ORDERS, post_answer, safe_next

MIN_SECONDS, MAX_SECONDS = CANCEL_AFTER_MIN_MS // 1000, CANCEL_AFTER_MAX_MS // 1000


@require_POST
@login_required
def cancel_after(request: HttpRequest) -> HttpResponse:
    """`seconds` (1-600; 0 disarms) and `symbol` ("" = every market)."""
    back = safe_next(request, reverse("orders"))
    raw, symbol = request.POST.get("seconds", "").strip(), request.POST.get("symbol", "").strip() or None
    scope = symbol or "all markets"
    if not raw.isdigit() or not (int(raw) == 0 or MIN_SECONDS <= int(raw) <= MAX_SECONDS):
        text = f"Cancel after: enter {MIN_SECONDS} to {MAX_SECONDS} seconds."
        return post_answer(request, ok=False, level="error", text=text, area=AREA_ORDERS, back=back)
    seconds = int(raw)
    try:
        timer = cancel_after_set(user=request.user, timeout_ms=seconds * 1000, symbol=symbol)  # type: ignore[arg-type]
    except ApiError as exc:
        text = f"Dead-man's switch not changed: {error_words(exc)}"
        return post_answer(request, ok=False, level="error", text=text, area=AREA_ORDERS, back=back)
    if timer.deadline_ms is None:
        text = f"Dead-man's switch on {scope} disarmed."
    else:
        text = f"Your open orders on {scope} will be canceled in {seconds} s unless you re-arm it."
    data = {"symbol": timer.symbol, "deadline_ms": timer.deadline_ms, "timeout_ms": timer.timeout_ms}
    return post_answer(request, ok=True, level="success", text=text, area=AREA_ORDERS, back=back, data=data)
