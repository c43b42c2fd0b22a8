"""Staff decide withdrawals in admin: approve (COMPLETED) or reject with a reason (hold released).

The rows are read-only; the two actions call the services (accounts.withdrawals), which send the
decision to the engine. Rejecting asks for the reason on an intermediate page, as Django's own
delete action asks for a confirmation.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts.models import Withdrawal, WithdrawalStatus
from accounts.withdrawals import WithdrawalDecisionRefused, withdrawal_approve, withdrawal_reject
from quantx_site.errors import ApiError


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Shown to the user. Required.")


@admin.register(Withdrawal)
class WithdrawalAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "user", "asset", "amount", "fee", "address", "status", "reason",
                    "decided_by", "updated_at")  # fmt: skip
    list_filter = ("status", "asset")
    search_fields = ("user__username", "address", "client_withdrawal_id", "=id")
    date_hierarchy = "created_at"
    list_select_related = ("user", "asset", "decided_by")
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_withdrawal")

    @admin.action(description="Approve selected withdrawals (the held amount leaves)", permissions=["decide"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        self._decide(
            request, queryset, lambda w: withdrawal_approve(staff_user=request.user, withdrawal_id=w.pk)
        )  # type: ignore[arg-type]

    @admin.action(description="Reject selected withdrawals (with a reason; the hold is released)",
                  permissions=["decide"])  # fmt: skip
    def reject(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> HttpResponse | None:
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._decide(
                request,
                queryset,
                lambda w: withdrawal_reject(staff_user=request.user, withdrawal_id=w.pk, reason=reason),  # type: ignore[arg-type]
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject withdrawals",
            "opts": self.model._meta,
            "form": form,
            "withdrawals": queryset.select_related("user", "asset"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/accounts/withdrawal/reject.html", context)

    def _decide(self, request: HttpRequest, queryset: QuerySet[Withdrawal], decide: Any) -> None:
        done = 0
        for withdrawal in queryset.filter(status=WithdrawalStatus.PENDING).order_by("id"):
            try:
                decide(withdrawal)
            except (WithdrawalDecisionRefused, ApiError) as exc:
                messages.error(request, f"Withdrawal {withdrawal.pk}: {getattr(exc, 'msg', exc)}")
            else:
                done += 1
        skipped = queryset.exclude(status=WithdrawalStatus.PENDING).count()
        if done:
            messages.success(request, f"{done} withdrawal(s) decided.")
        if skipped:
            messages.warning(request, f"{skipped} withdrawal(s) skipped: no longer PENDING.")
