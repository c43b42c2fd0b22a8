"""Web pages of accounts: sign up, a login page that shares the API's login rate limit, and the
account pages (balances and the faucet, the ledger and its CSV, API keys)."""

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import CreateView
from rest_framework.exceptions import ValidationError as DrfValidationError

from accounts.api import ApiKeyListCreateApi
from accounts.api_account import FaucetApi
from accounts.api_keys import api_key_create, api_key_list, api_key_revoke
from accounts.faucet import faucet_credit
from accounts.forms import ApiKeyForm, FaucetForm, LedgerFilterForm, SignupForm
from accounts.models import Asset
from accounts.selectors import balance_list, ledger_list
from accounts.throttling import ApiKeyCreateThrottle, LoginThrottle, RegisterThrottle
from accounts.views_withdrawals import withdrawals_page_context
from quantx_site.errors import ApiError
from quantx_site.serializers import validated
from trading.forms import error_words
from trading.positions import account_value
from trading.selectors import instrument_list, order_list
from trading.views import amount_text, csv_response, post_answer, safe_next


def _throttled(
    request: HttpRequest, throttle: LoginThrottle | RegisterThrottle | ApiKeyCreateThrottle
) -> int | None:
    """Seconds to wait when the client is over the limit, else None (and the attempt is counted)."""
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return None
    return max(1, int(throttle.wait() or 1))


class ThrottledLoginView(LoginView):
    """Django's LoginView; password guessing on the page is limited like POST /api/v1/auth/token/."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = _throttled(request, LoginThrottle())
        if wait is None:
            return super().post(request, *args, **kwargs)
        form = self.get_form()
        form.add_error(None, f"Too many login attempts. Try again in {wait} seconds.")
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(wait)
        return response


def admin_login(request: HttpRequest) -> HttpResponse:
    """/admin/login/: Django admin's login, counted against the one login limit (the API's token
    endpoint and the login page share it), so guessing passwords there is no side door."""
    if request.method == "POST":
        wait = _throttled(request, LoginThrottle())
        if wait is not None:
            response = render(request, "429.html", {"wait": wait}, status=429)
            response["Retry-After"] = str(wait)
            return response
    return admin.site.login(request)


class SignupView(CreateView):
    form_class = SignupForm
    template_name = "registration/signup.html"
    success_url = reverse_lazy("account")  # the first-run steps: claim paper money, then trade

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = _throttled(request, RegisterThrottle())
        if wait is None:
            return super().post(request, *args, **kwargs)
        self.object = None
        form = self.get_form()
        form.add_error(None, f"Too many sign-ups from your address. Try again in {wait} seconds.")
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(wait)
        return response

    def form_valid(self, form: SignupForm) -> HttpResponse:
        response = super().form_valid(form)
        login(self.request, self.object, backend="django.contrib.auth.backends.ModelBackend")
        return response


# --------------------------------------------------------------------------- account pages
# Each parses its input (the API's own serializers validate it), calls the service or selector the
# REST API calls, and renders. Errors are shown on the form they came from, in words.

AREA_FAUCET = "area-faucet"
LEDGER_PAGE = 50


def _assets() -> list[str]:
    return list(Asset.objects.order_by("code").values_list("code", flat=True))


def _faucet_form(data: Any = None) -> FaucetForm | None:
    if not settings.FAUCET_ENABLED:
        return None
    return FaucetForm(data, assets=sorted(settings.FAUCET_MAX_PER_CALL))


@require_GET
@login_required
def balances(request: HttpRequest) -> HttpResponse:
    """Free and locked balance of every asset held; the faucet where it is enabled."""
    user = request.user
    summary = account_value(user=user)  # type: ignore[arg-type]
    rows = [
        {
            "asset": b.asset,
            "free": b.free,
            "locked": b.locked,
            "total": b.free + b.locked,
            "value": summary.values.get(b.asset.code),
        }
        for b in balance_list(user=user)  # type: ignore[arg-type]
    ]
    first_run = None
    if not order_list(user=user).exists():  # type: ignore[arg-type]
        first_run = {"funded": any(r["total"] for r in rows), "market": instrument_list().first()}
    context = {"balances": rows, "faucet_form": _faucet_form(), "faucet_caps": settings.FAUCET_MAX_PER_CALL,
               "tab": "balances", "account": summary, "first_run": first_run,
               **withdrawals_page_context(user=user)}  # type: ignore[arg-type]  # fmt: skip
    return render(request, "accounts/balances.html", context)


@require_POST
@login_required
def faucet(request: HttpRequest) -> HttpResponse:
    """Paper-trading funds: `faucet_credit`, as POST /api/v1/faucet/."""
    back = safe_next(request, reverse("account"))
    form = _faucet_form(request.POST)
    if form is None:
        return post_answer(request, ok=False, level="error", text="The faucet is disabled on this exchange.",
                           area=AREA_FAUCET, back=back)  # fmt: skip
    text = ""
    if form.is_valid():
        try:
            data = validated(FaucetApi.InputSerializer, {"asset": form.cleaned_data["asset"],
                                                         "amount": form.cleaned_data["amount"].strip()})  # fmt: skip
            credit = faucet_credit(user=request.user, asset_code=data["asset"], amount=data["amount"])  # type: ignore[arg-type]
        except (ApiError, DrfValidationError) as exc:
            text = error_words(exc) if isinstance(exc, ApiError) else "Enter a positive amount, like 1000."
        else:
            text = (f"Credited {credit.amount.normalize():f} {credit.asset} (paper money). Free balance: "
                    f"{credit.free.normalize():f} {credit.asset}.")  # fmt: skip
            return post_answer(request, ok=True, level="success", text=text, area=AREA_FAUCET, back=back)
    else:
        text = "Choose an asset and an amount."
    return post_answer(request, ok=False, level="error", text=f"No funds credited: {text}", area=AREA_FAUCET,
                       back=back)  # fmt: skip


def _ledger_query(request: HttpRequest) -> tuple[LedgerFilterForm, Any]:
    """The filter form and the matching entries (None when the filter is invalid)."""
    form = LedgerFilterForm(request.GET or None, assets=_assets())
    if form.is_bound and not form.is_valid():
        return form, None
    query = form.cleaned_data if form.is_bound else {}
    try:
        entries = ledger_list(user=request.user, asset=query.get("asset") or None,  # type: ignore[arg-type]
                              reason=query.get("reason") or None, start_ms=query.get("start_ms"),
                              end_ms=query.get("end_ms"))  # fmt: skip
    except ApiError as exc:
        form.add_error("asset", error_words(exc))
        return form, None
    return form, entries


@require_GET
@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    """Every change of my balances, newest first, filtered by asset and reason; CSV at ledger.csv."""
    form, entries = _ledger_query(request)
    rows: list[Any] = []
    older = None
    if entries is not None:
        before = form.cleaned_data.get("before") if form.is_bound else None
        if before:
            entries = entries.filter(id__lt=before)
        rows = list(entries[: LEDGER_PAGE + 1])
        if len(rows) > LEDGER_PAGE:
            rows = rows[:LEDGER_PAGE]
            query = request.GET.copy()
            query["before"] = str(rows[-1].id)
            older = f"?{query.urlencode()}"
    csv_query = request.GET.copy()
    csv_query.pop("before", None)
    context = {
        "form": form,
        "entries": rows,
        "older": older,
        "csv_query": csv_query.urlencode(),
        "tab": "ledger",
    }
    return render(request, "accounts/ledger.html", context, status=400 if entries is None else 200)


@require_GET
@login_required
def ledger_csv(request: HttpRequest) -> HttpResponse:
    _, entries = _ledger_query(request)
    if entries is None:
        return HttpResponse("Invalid filter.", status=400, content_type="text/plain")
    rows = (
        [e.id, e.created_at.isoformat(), e.asset.code, amount_text(e.delta_free), amount_text(e.delta_locked),
         e.reason, e.order_id or "", e.trade_id or "", csv_text(e.note)]
        for e in entries.iterator(chunk_size=2000)
    )  # fmt: skip
    header = ["id", "time", "asset", "delta_free", "delta_locked", "reason", "order_id", "trade_id", "note"]
    return csv_response("quantx-ledger.csv", header, rows)


def csv_text(value: str) -> str:
    """Free text in a CSV cell, defused: a spreadsheet must not read it as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@login_required
def api_keys(request: HttpRequest) -> HttpResponse:
    """My active API keys; creating one shows its secret on this response only (never stored in
    clear, never shown again)."""
    created = None
    status = 200
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST":
        wait = _throttled(request, ApiKeyCreateThrottle())
        if wait is not None:
            form.is_valid()
            form.add_error(None, f"Too many keys created recently. Try again in {wait} seconds.")
            status = 429
        elif form.is_valid():
            data = validated(ApiKeyListCreateApi.InputSerializer,
                             {"label": form.cleaned_data["label"], "scopes": form.cleaned_data["scopes"]})  # fmt: skip
            try:
                created = api_key_create(user=request.user, **data)  # type: ignore[arg-type]
            except ApiError as refusal:
                form.add_error(None, refusal.msg)
                status = 400
            else:
                form = ApiKeyForm()
        else:
            status = 400
    context = {"form": form, "keys": api_key_list(user=request.user), "created": created, "tab": "api-keys"}  # type: ignore[arg-type]
    response = render(request, "accounts/api_keys.html", context, status=status)
    if created is not None:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def api_key_revoke_view(request: HttpRequest, key_id: int) -> HttpResponse:
    try:
        key = api_key_revoke(user=request.user, key_id=key_id)  # type: ignore[arg-type]
    except ApiError:
        messages.error(request, "That API key does not exist or was already revoked.")
    else:
        messages.success(
            request, f"API key {key.key} revoked: requests signed with it are refused from now on."
        )
    return redirect("account-api-keys")
