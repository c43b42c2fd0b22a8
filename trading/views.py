"""Trader pages: the markets, the trading page of one instrument, my orders, fills and positions.

Each view parses its input, calls the trading services/selectors the REST API calls, and renders.
Placing, cancelling and amending are plain POST forms (CSRF), so they work without JavaScript:
success redirects back with a message; a refusal renders the page again with the error next to
what caused it and the typed values kept. static/js/trade-*.js submit the same forms with
`Accept: application/json` and get the same outcome as JSON (`post_answer`), then the WebSocket
streams update the book, trades, orders and balances (docs/web.md).
"""

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages import get_messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.favourites import favourite_symbols
from marketdata import selectors as market
from marketdata.candles import ms_to_datetime
from marketdata.protocol import INTERVALS
from quantx_site.errors import ApiError
from trading import order_lists, selectors, services
from trading.api import OrderPlaceThrottle
from trading.book_ticker_panel import book_ticker_shown
from trading.forms import (
    AmendForm,
    FillFilterForm,
    OrderFilterForm,
    OrderForm,
    error_words,
    order_outcome_words,
    status_statuses,
)
from trading.models import Instrument
from trading.positions import position_list
from trading.serializers import OrderOutputSerializer, OrderWithFillsOutputSerializer, order_place_kwargs
from trading.templatetags.qx import REASON_WORDS
from trading.trader_panels import decimals, market_digits, trader_panels

BOOK_LEVELS = 12
RECENT_TRADES = 40
PAGE_SIZE = 50
AREA_ORDER = "area-order"  # messages about the order just placed: shown above the order form
AREA_ORDERS = "area-orders"  # cancel/amend outcomes: shown above my open orders


# ------------------------------------------------------------------------------------ helpers


def _instrument(symbol: str) -> Instrument:
    try:
        return selectors.instrument_get(symbol=symbol)
    except ApiError:
        raise Http404(f"No market {symbol}") from None


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` field if it points into this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def post_answer(
    request: HttpRequest, *, ok: bool, level: str, text: str, area: str, back: str, data: Any = None
) -> HttpResponse:
    """The outcome of a POST: JSON for the page's script, else a message and a redirect back."""
    if _wants_json(request):
        return JsonResponse(
            {"ok": ok, "level": level, "message": text, **(data or {})}, status=200 if ok else 400
        )
    messages.add_message(request, getattr(messages, level.upper()), text, extra_tags=area)
    return redirect(back)


def _notes(request: HttpRequest) -> dict[str, list[Any]]:
    """Pending messages grouped by the part of the page they are about: "order" (tag area-order),
    "orders", "faucet", or "top" for the rest."""
    notes: dict[str, list[Any]] = {"top": [], "order": [], "orders": [], "faucet": []}
    for message in get_messages(request):
        tags = [t.removeprefix("area-") for t in message.extra_tags.split() if t.startswith("area-")]
        notes[tags[0] if tags and tags[0] in notes else "top"].append(message)
    return notes


def market_config(instrument: Instrument, *, user: Any) -> dict[str, Any]:
    """What static/js/trade*.js need to know about the page (rendered with json_script)."""
    return {
        "symbol": instrument.symbol,
        "base": instrument.base.code,
        "quote": instrument.quote.code,
        "tick": f"{instrument.tick_size.normalize():f}",
        "lot": f"{instrument.lot_size.normalize():f}",
        "priceDp": decimals(instrument.tick_size),
        "qtyDp": decimals(instrument.lot_size),
        "makerFee": f"{instrument.maker_fee.normalize():f}",
        "takerFee": f"{instrument.taker_fee.normalize():f}",
        "intervals": list(INTERVALS),
        "authenticated": bool(user.is_authenticated),
        "bookLevels": BOOK_LEVELS,
        "markets": {symbol: list(dp) for symbol, dp in market_digits().items()},
        "reasons": REASON_WORDS,
    }


def _with_totals(levels: Iterable[tuple[str, str]], *, scale: Decimal) -> list[dict[str, Any]]:
    """Depth levels with their running (cumulative) size, best first, and that size as a percentage
    of `scale` (the larger side's total) for the depth bars."""
    rows, total = [], Decimal(0)
    for price, qty in levels:
        total += Decimal(qty)
        pct = int(total * 100 / scale) if scale else 0
        rows.append({"price": Decimal(price), "qty": Decimal(qty), "total": total, "pct": pct})
    return rows


# ------------------------------------------------------------------------------------ pages


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Every instrument with its 24 h ticker; static/js/markets.js keeps it live."""
    instruments = list(selectors.instrument_list())
    tickers = {t["symbol"]: t for t in market.tickers(instruments)}
    starred = favourite_symbols(user=request.user)  # type: ignore[arg-type]
    rows = [
        {"instrument": i, "ticker": tickers[i.symbol], "price_dp": decimals(i.tick_size),
         "qty_dp": decimals(i.lot_size), "favourite": i.symbol in starred}
        for i in instruments
    ]  # fmt: skip
    rows.sort(key=lambda r: not r["favourite"])  # favourites first, each group by symbol
    return render(request, "trading/home.html", {"rows": rows, "notes": _notes(request)})


def _trade_page(
    request: HttpRequest, instrument: Instrument, form: OrderForm, *, status: int = 200, oco_form: Any = None
) -> HttpResponse:
    """The trading page: a composition of the read selectors the REST API also serves (depth,
    trades, ticker; my open orders, fills, balances), rendered around the order form. `oco_form`: an
    OCO form shown again after a refusal (its section open), else a fresh one."""
    user = request.user
    depth = market.depth_snapshot(instrument).limited(BOOK_LEVELS)
    scale = max(sum(Decimal(q) for _, q in depth.bids), sum(Decimal(q) for _, q in depth.asks))
    _, trades = market.trades_recent(instrument=instrument, limit=RECENT_TRADES)
    context: dict[str, Any] = {
        "instrument": instrument,
        "instruments": selectors.instrument_list(),
        "ticker": market.tickers([instrument])[0],
        "asks": list(reversed(_with_totals(depth.asks, scale=scale))),
        "bids": _with_totals(depth.bids, scale=scale),
        "ask_pad": range(BOOK_LEVELS - len(depth.asks)),
        "bid_pad": range(BOOK_LEVELS - len(depth.bids)),
        "book_seq": depth.seq,
        "book_ticker": book_ticker_shown(depth),
        "trades": [
            {**t, "price": Decimal(t["price"]), "qty": Decimal(t["qty"]), "at": ms_to_datetime(t["time"])}
            for t in reversed(trades)
        ],
        "form": form,
        "config": market_config(instrument, user=user),
        "price_dp": decimals(instrument.tick_size),
        "qty_dp": decimals(instrument.lot_size),
        "notes": _notes(request),
        "faucet": settings.FAUCET_ENABLED,
        "faucet_amounts": {
            code: settings.FAUCET_MAX_PER_CALL.get(code)
            for code in (instrument.base.code, instrument.quote.code)
            if code in settings.FAUCET_MAX_PER_CALL
        },
        "back_url": reverse("trade", args=[instrument.symbol]),
        "book_groups": [
            {"multiple": m, "size": f"{(instrument.tick_size * m).normalize():f}"} for m in (1, 10, 100, 1000)
        ],
    }
    if user.is_authenticated:
        context.update(trader_panels(user=user, instrument=instrument))  # type: ignore[arg-type]
        from trading.oco_pages import OcoForm  # (it builds on this module's views)

        context["oco_form"] = oco_form or OcoForm(symbol=instrument.symbol)
        context["oco_open"] = oco_form is not None
    return render(request, "trading/trade.html", context, status=status)


@require_GET
def trade(request: HttpRequest, symbol: str) -> HttpResponse:
    instrument = _instrument(symbol)
    return _trade_page(request, instrument, OrderForm(instrument=instrument))


@require_POST
def order_place(request: HttpRequest, symbol: str) -> HttpResponse:
    """The order form's POST: the API's validation and `services.order_place`, nothing else."""
    instrument = _instrument(symbol)
    page = reverse("trade", args=[instrument.symbol])
    if not request.user.is_authenticated:
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": "Log in to trade.", "errors": {}}, status=401)
        return redirect(f"{reverse('login')}?next={page}")
    form = OrderForm(request.POST, instrument=instrument)
    throttle = OrderPlaceThrottle()  # the API's order limit: one counter per user, whatever the door
    if not throttle.allow_request(request, None):  # type: ignore[arg-type]
        wait = max(1, int(throttle.wait() or 1))
        text = f"Too many orders: the order rate limit was reached. Try again in {wait} seconds."
        if _wants_json(request):
            response: HttpResponse = JsonResponse({"ok": False, "level": "error", "message": text, "errors": {}},
                                                  status=429)  # fmt: skip
        else:
            form.is_valid()
            form.add_error(None, text)
            response = _trade_page(request, instrument, form, status=429)
        response["Retry-After"] = str(wait)
        return response
    if form.is_valid():
        order = form.order
        try:
            placed = services.order_place(
                user=request.user,  # type: ignore[arg-type]
                **order_place_kwargs(order),
            )
        except ApiError as exc:
            form.add_refusal(exc)
            if "order_id" in exc.extra:  # stored as REJECTED: its client order id is used up
                form.renew_client_order_id()
        else:
            level, text = order_outcome_words(placed.order, instrument=instrument, duplicate=placed.duplicate)
            data = {"order": OrderWithFillsOutputSerializer(placed.order).data}
            return post_answer(
                request, ok=True, level=level, text=text, area=AREA_ORDER, back=page, data=data
            )
    if _wants_json(request):
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return JsonResponse(
            {"ok": False, "level": "error", "message": " ".join(errors.pop("__all__", [])), "errors": errors,
             "reason": form.refusal_reason, "client_order_id": form.data.get("client_order_id", "")},
            status=400,
        )  # fmt: skip
    return _trade_page(request, instrument, form, status=400)


@require_POST
@login_required
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    back = safe_next(request, reverse("orders"))
    try:
        order = services.order_cancel(user=request.user, order_id=order_id)  # type: ignore[arg-type]
    except ApiError as exc:
        text = f"Order #{order_id} was not canceled: {error_words(exc)}"
        return post_answer(request, ok=False, level="error", text=text, area=AREA_ORDERS, back=back)
    data = {"order": OrderOutputSerializer(order).data}
    text = f"Order #{order_id} canceled."
    return post_answer(request, ok=True, level="success", text=text, area=AREA_ORDERS, back=back, data=data)


@require_POST
@login_required
def order_amend(request: HttpRequest, order_id: int) -> HttpResponse:
    back = safe_next(request, reverse("orders"))
    form = AmendForm(request.POST)
    if form.is_valid():
        try:
            order = services.order_amend(user=request.user, order_id=order_id, qty=form.amend["qty"])  # type: ignore[arg-type]
        except ApiError as exc:
            instrument = None
            if exc.extra.get("reason") == "FILTER_LOT_SIZE":
                instrument = selectors.order_get(user=request.user, order_id=order_id).instrument  # type: ignore[arg-type]
            form.add_api_error(exc, instrument=instrument)
        else:
            data = {"order": OrderOutputSerializer(order).data}
            text = f"Order #{order_id} reduced: {Decimal(order['remaining']).normalize():f} still open."
            return post_answer(
                request, ok=True, level="success", text=text, area=AREA_ORDERS, back=back, data=data
            )
    words = " ".join(str(e) for errs in form.errors.values() for e in errs)
    text = f"Order #{order_id} was not changed: {words}"
    return post_answer(request, ok=False, level="error", text=text, area=AREA_ORDERS, back=back)


# ------------------------------------------------------------------------------------ my trading


def _symbols() -> list[str]:
    return [i.symbol for i in selectors.instrument_list()]


def _shown(rows: Iterable[Any], digits: dict[str, tuple[int, int]]) -> list[dict[str, Any]]:
    """Rows (orders, fills, positions) with the decimals of their market, for the templates."""
    out = []
    for row in rows:
        price_dp, qty_dp = digits.get(row.symbol, (8, 8))
        out.append({"row": row, "price_dp": price_dp, "qty_dp": qty_dp})
    return out


@require_GET
@login_required
def order_history(request: HttpRequest) -> HttpResponse:
    """My orders, newest first, filtered by market, status and side; pages of PAGE_SIZE."""
    form = OrderFilterForm(request.GET or None, symbols=_symbols())
    orders: Any = []
    if not form.is_bound or form.is_valid():
        query = form.cleaned_data if form.is_bound else {}
        orders = selectors.order_list(
            user=request.user,  # type: ignore[arg-type]
            symbol=query.get("symbol") or None,
            statuses=status_statuses(query.get("status") or ""),
            side=query.get("side") or None,
            start_ms=query.get("start_ms"),
            end_ms=query.get("end_ms"),
        ).select_related("instrument")
        if query.get("before"):
            orders = orders.filter(id__lt=query["before"])
        orders = list(orders[: PAGE_SIZE + 1])
    more = len(orders) > PAGE_SIZE
    orders = orders[:PAGE_SIZE]
    older = _older_link(request, orders[-1].id) if more else None
    context = {
        "form": form,
        "orders": _shown(orders, market_digits()),
        "older": older,
        "notes": _notes(request),
        "tab": "orders",
        "order_lists": order_lists.order_list_list(user=request.user)[:20],  # type: ignore[arg-type]
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "trading/orders.html", context, status=status)


def _older_link(request: HttpRequest, before: int) -> str:
    query = request.GET.copy()
    query["before"] = str(before)
    return f"?{query.urlencode()}"


@require_GET
@login_required
def fill_history(request: HttpRequest) -> HttpResponse:
    """My fills (each trade seen from my side), newest first, by market; CSV at fills.csv."""
    form = FillFilterForm(request.GET or None, symbols=_symbols())
    fills: list[Any] = []
    older = None
    if not form.is_bound or form.is_valid():
        query = form.cleaned_data if form.is_bound else {}
        trades = selectors.trade_list(user=request.user, symbol=query.get("symbol") or None,  # type: ignore[arg-type]
                                      start_ms=query.get("start_ms"), end_ms=query.get("end_ms"))  # fmt: skip
        if query.get("before"):
            trades = trades.filter(id__lt=query["before"])
        page = list(trades[: PAGE_SIZE + 1])
        if len(page) > PAGE_SIZE:
            page = page[:PAGE_SIZE]
            older = _older_link(request, page[-1].id)
        fills = selectors.fills_of(page, user=request.user)  # type: ignore[arg-type]
    csv_query = request.GET.copy()
    csv_query.pop("before", None)
    context = {
        "form": form,
        "fills": _shown(fills, market_digits()),
        "older": older,
        "tab": "fills",
        "csv_query": csv_query.urlencode(),
    }
    return render(
        request, "trading/fills.html", context, status=400 if form.is_bound and form.errors else 200
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: list[str], rows: Iterable[list[Any]]) -> StreamingHttpResponse:
    """A CSV download written row by row (an export of any size never sits in memory)."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def amount_text(value: Decimal | None) -> str:
    """An amount in a CSV cell: exact, plain notation, 8 decimals like the API."""
    return "" if value is None else f"{value.quantize(Decimal('0.00000001')):f}"


@require_GET
@login_required
def fills_csv(request: HttpRequest) -> HttpResponse:
    form = FillFilterForm(request.GET or None, symbols=_symbols())
    if form.is_bound and not form.is_valid():
        return HttpResponse("Invalid filter.", status=400, content_type="text/plain")
    query = form.cleaned_data if form.is_bound else {}
    user = request.user
    trades = selectors.trade_list(user=user, symbol=query.get("symbol") or None,  # type: ignore[arg-type]
                                  start_ms=query.get("start_ms"), end_ms=query.get("end_ms"))  # fmt: skip

    def rows() -> Iterator[list[Any]]:
        chunk: list[Any] = []
        for trade in trades.iterator(chunk_size=1000):
            chunk.append(trade)
            if len(chunk) == 1000:
                yield from _fill_rows(chunk, user)
                chunk = []
        yield from _fill_rows(chunk, user)

    header = ["trade_id", "time", "symbol", "side", "price", "qty", "quote_qty", "fee", "fee_asset", "liquidity",
              "order_id"]  # fmt: skip
    return csv_response("quantx-fills.csv", header, rows())


def _fill_rows(trades: list[Any], user: Any) -> Iterator[list[Any]]:
    for f in selectors.fills_of(trades, user=user):
        yield [f.trade_id, f.time.isoformat(), f.symbol, f.side, amount_text(f.price), amount_text(f.qty),
               amount_text(f.quote_qty), amount_text(f.fee), f.fee_asset, f.liquidity, f.order_id]  # fmt: skip


@require_GET
@login_required
def positions(request: HttpRequest) -> HttpResponse:
    rows = position_list(user=request.user, with_fees=True)  # type: ignore[arg-type]
    return render(
        request, "trading/positions.html", {"positions": _shown(rows, market_digits()), "tab": "positions"}
    )
