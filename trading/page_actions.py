"""Actions of the markets and trading pages: star a market, cancel all my open orders (POST), and
the account summary the trading page refreshes after a fill (GET, JSON).

Plain forms that work without JavaScript (a message and a redirect back); with `Accept:
application/json` the same outcome comes back as JSON (`trading.views.post_answer`)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.favourites import favourite_set
from quantx_site.errors import ApiError
from trading import selectors, services
from trading.forms import error_words
from trading.models import OPEN_STATUSES
from trading.positions import account_value
from trading.serializers import OrderOutputSerializer
from trading.views import AREA_ORDERS, _instrument, post_answer, safe_next


@require_POST
@login_required
def favourite(request: HttpRequest, symbol: str) -> HttpResponse:
    """Stars the market (`on=1`) or unstars it (`on=0`)."""
    instrument = _instrument(symbol)
    on = request.POST.get("on") == "1"
    starred = favourite_set(user=request.user, instrument=instrument, on=on)  # type: ignore[arg-type]
    text = f"{symbol} {'added to' if starred else 'removed from'} your favourites."
    return post_answer(request, ok=True, level="success", text=text, area="area-top",
                       back=safe_next(request, reverse("home")), data={"favourite": starred})  # fmt: skip


@require_POST
@login_required
def order_cancel_all(request: HttpRequest, symbol: str) -> HttpResponse:
    """Cancels my open orders on this market, or on every market with `scope=all`."""
    instrument = _instrument(symbol)
    back = safe_next(request, reverse("trade", args=[instrument.symbol]))
    if request.POST.get("scope") == "all":
        symbols = sorted(set(selectors.order_list(user=request.user, statuses=OPEN_STATUSES)  # type: ignore[arg-type]
                             .values_list("symbol", flat=True)))  # fmt: skip
    else:
        symbols = [instrument.symbol]
    canceled = []
    try:
        for each in symbols:
            canceled += services.order_cancel_all(user=request.user, symbol=each)  # type: ignore[arg-type]
    except ApiError as exc:
        text = f"Not every order was canceled: {error_words(exc)}"
        return post_answer(request, ok=False, level="error", text=text, area=AREA_ORDERS, back=back)
    count = len(canceled)
    text = (
        f"{count} open order{'s' if count != 1 else ''} canceled." if count else "No open orders to cancel."
    )
    return post_answer(request, ok=True, level="success", text=text, area=AREA_ORDERS, back=back,
                       data={"orders": OrderOutputSerializer(canceled, many=True).data})  # fmt: skip


@require_GET
@login_required
def account_summary(request: HttpRequest) -> HttpResponse:
    """My account's value and PnL (fees included) in its home currency, as on the page: exact strings."""
    summary = account_value(user=request.user)  # type: ignore[arg-type]
    return JsonResponse({"home": summary.home, "value": f"{summary.value:f}", "pnl": f"{summary.pnl:f}"})
