"""The balances page's Withdraw form and withdrawals history (request, cancel).

Each view parses with the API's own input serializer, calls the service the REST API calls
(accounts.withdrawals) and answers like the other account forms (`post_answer`: JSON for the page's
script, else a message and a redirect back). The form carries a client withdrawal id minted when the
page was rendered, so a double submit (or a retry after a timeout) withdraws once.
"""

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as DrfValidationError

from accounts.api_withdrawals import WithdrawalInputSerializer
from accounts.models import Asset, User
from accounts.money import plain_decimal
from accounts.withdrawals import DISABLED, withdrawal_cancel, withdrawal_list, withdrawal_request
from quantx_site.errors import ApiError
from quantx_site.serializers import validated
from trading.forms import error_words
from trading.views import post_answer, safe_next

AREA = "area-withdraw"
HISTORY_ROWS = 20

_WORDS = {
    "RISK_INSUFFICIENT_FUNDS": "Not enough available balance: a withdrawal can only use free funds "
    "(cancel orders to free what they hold).",
    "WITHDRAWAL_NOT_PENDING": "This withdrawal is no longer pending: it was completed, rejected or canceled.",
}


def withdrawals_page_context(*, user: User) -> dict[str, Any]:
    """What the balances page shows for withdrawals: the form's assets (with their limits; a suspended
    one is shown but not offered) and my latest withdrawals."""
    assets = [
        {"code": a.code, "precision": a.display_precision, "fee": plain_decimal(a.withdrawal_fee),
         "min": plain_decimal(a.withdrawal_min), "enabled": a.withdrawals_enabled,
         "max": "" if a.withdrawal_max is None else plain_decimal(a.withdrawal_max),
         "limits": _limits(a)}
        for a in Asset.objects.order_by("code")
    ]  # fmt: skip
    return {
        "withdraw_assets": assets,
        "withdraw_limits": [a for a in assets if a["limits"]],
        "withdraw_client_id": uuid.uuid4().hex,
        "withdrawals": list(withdrawal_list(user=user)[:HISTORY_ROWS]),
    }


def _limits(asset: Asset) -> str:
    """The form's hint for one asset: suspended, or its minimum and maximum ("" if it has neither)."""
    if not asset.withdrawals_enabled:
        return "withdrawals suspended"
    parts = [f"min {plain_decimal(asset.withdrawal_min)}"] if asset.withdrawal_min else []
    if asset.withdrawal_max is not None:
        parts.append(f"max {plain_decimal(asset.withdrawal_max)}")
    return ", ".join(parts) + " per withdrawal" if parts else ""


def _words(exc: ApiError | DrfValidationError) -> str:
    if isinstance(exc, DrfValidationError):
        field, problems = next(iter(exc.detail.items())) if isinstance(exc.detail, dict) else ("", exc.detail)
        return f"{str(field).replace('_', ' ').capitalize()}: {problems[0] if problems else 'invalid'}"
    reason = str(exc.extra.get("reason") or "")
    if reason in _WORDS:
        return _WORDS[reason]
    if reason == DISABLED:
        return exc.msg
    if reason.startswith("FILTER_WITHDRAWAL"):  # "Filter failure: <reason>: the smallest ..."
        text = exc.msg.split(": ", 2)[-1]
        return text[:1].upper() + text[1:]
    field = str(exc.extra.get("field") or "")
    if field in ("amount", "address", "asset"):
        return f"{field.capitalize()}: {exc.msg.removeprefix(field + ': ')}"
    return error_words(exc)


@require_POST
@login_required
def withdrawal_create(request: HttpRequest) -> HttpResponse:
    """Withdraw form: as POST /api/v1/withdrawals/."""
    back = safe_next(request, reverse("account"))
    fields = {
        k: request.POST.get(k, "").strip() for k in ("asset", "amount", "address", "client_withdrawal_id")
    }
    try:
        data = validated(WithdrawalInputSerializer, {k: v for k, v in fields.items() if v})
        result = withdrawal_request(user=request.user, asset_code=data["asset"], amount=data["amount"],  # type: ignore[arg-type]
                                    address=data["address"], client_withdrawal_id=data.get("client_withdrawal_id"))  # fmt: skip
    except (ApiError, DrfValidationError) as exc:
        return post_answer(request, ok=False, level="error", text=f"Nothing withdrawn: {_words(exc)}", area=AREA,
                           back=back)  # fmt: skip
    w = result.withdrawal
    amount = Decimal(str(w["amount"] if isinstance(w, Mapping) else w.amount))
    verb = "Already requested" if result.duplicate else "Requested"
    text = (f"{verb}: withdrawal of {plain_decimal(amount)} {fields['asset']} to {fields['address']}, pending "
            "approval. The amount is held meanwhile.")  # fmt: skip
    return post_answer(request, ok=True, level="success", text=text, area=AREA, back=back)


@require_POST
@login_required
def withdrawal_cancel_view(request: HttpRequest, withdrawal_id: int) -> HttpResponse:
    """Cancel button of a PENDING withdrawal: as DELETE /api/v1/withdrawals/{id}/."""
    back = safe_next(request, reverse("account"))
    try:
        withdrawal_cancel(user=request.user, withdrawal_id=withdrawal_id)  # type: ignore[arg-type]
    except ApiError as exc:
        return post_answer(request, ok=False, level="error", text=f"Not canceled: {_words(exc)}", area=AREA,
                           back=back)  # fmt: skip
    text = f"Withdrawal {withdrawal_id} canceled; its amount is free again."
    return post_answer(request, ok=True, level="success", text=text, area=AREA, back=back)
