"""Staff views of accounts. Balances and the ledger are read-only: they change only through
ledger-writing services (credit/debit below), never by editing a row."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from accounts.admin_forms import BalanceAdjustmentForm
from accounts.models import ApiKey, Asset, Balance, LedgerEntry, LedgerReason, StaffAction, User
from accounts.services import BalanceChangeRefused, InsufficientFunds, OperationConflict, balance_adjust
from quantx_site.errors import ApiError


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows rows, never edits them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BalanceInline(admin.TabularInline):
    model = Balance
    fields = ("asset", "free", "locked", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "is_staff", "is_active", "date_joined", "last_login")
    inlines = [BalanceInline]
    change_form_template = "admin/accounts/user/change_form.html"

    def get_urls(self) -> list:
        custom = [
            path(
                "<int:user_id>/adjust-balance/",
                self.admin_site.admin_view(self.adjust_balance_view),
                name="accounts_user_adjust_balance",
            )
        ]
        return custom + super().get_urls()

    def adjust_balance_view(self, request: HttpRequest, user_id: int) -> HttpResponse:
        """Credit or debit a user's free balance with a mandatory note; one ledger entry per operation."""
        if not request.user.has_perm("accounts.add_ledgerentry"):
            messages.error(request, "You need the 'add ledger entry' permission to adjust balances.")
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user_id]))
        user = get_object_or_404(User, pk=user_id)
        form = BalanceAdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = balance_adjust(
                    user=user,
                    asset=data["asset"],
                    amount=form.signed_amount(),
                    reason=LedgerReason.ADJUSTMENT,
                    operation_id=data["operation_id"],
                    note=data["note"],
                    created_by=request.user,  # type: ignore[arg-type]
                )
            except (InsufficientFunds, OperationConflict, BalanceChangeRefused) as exc:
                form.add_error(None, str(exc))
            except ApiError as exc:  # the engine did not answer (engine_send)
                form.add_error(None, exc.msg)
            else:
                verb = "Applied" if result.created else "Already applied (same operation)"
                messages.success(
                    request,
                    f"{verb}: {form.signed_amount():+f} {data['asset']} for {user}. "
                    f"Free balance now {result.free:f}.",
                )
                return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Credit or debit {user}",
            "subject": user,
            "form": form,
            "opts": self.model._meta,
            "balances": Balance.objects.filter(user=user).select_related("asset"),
        }
        return TemplateResponse(request, "admin/accounts/user/adjust_balance.html", context)


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "display_precision", "withdrawals_enabled", "withdrawal_fee", "withdrawal_min",
                    "withdrawal_max")  # fmt: skip
    list_filter = ("withdrawals_enabled",)
    search_fields = ("code", "name")


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdmin):
    list_display = ("user", "asset", "free", "locked", "updated_at")
    list_filter = ("asset",)
    search_fields = ("user__username",)
    list_select_related = ("user", "asset")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "user",
        "asset",
        "reason",
        "delta_free",
        "delta_locked",
        "order_id",
        "trade_id",
        "note",
    )
    list_filter = ("reason", "asset")
    search_fields = ("user__username", "operation_id", "note", "=order_id", "=trade_id")
    date_hierarchy = "created_at"
    list_select_related = ("user", "asset")


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = (
        "key",
        "user",
        "label",
        "can_read",
        "can_trade",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("can_trade",)
    search_fields = ("key", "user__username", "label")
    exclude = ("secret_encrypted",)
    actions = ["revoke"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_apikey")

    @admin.action(description="Revoke selected API keys", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} key(s).")


@admin.register(StaffAction)
class StaffActionAdmin(ReadOnlyAdmin):
    """The staff audit trail (accounts.audit): read-only for everyone, superusers included."""

    list_display = (
        "created_at",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "outcome",
        "reason",
    )
    list_filter = ("action", "outcome", "target_type", "actor")
    search_fields = ("reason", "target_repr", "=target_id", "actor__username", "details")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    fields = ("created_at", "actor", "action", "target_type", "target_id", "target_repr", "reason", "details",
              "outcome")  # fmt: skip
    readonly_fields = fields
    actions = None  # (no bulk delete either)


from accounts import admin_withdrawals  # noqa: E402, F401  (registers the Withdrawal admin)
