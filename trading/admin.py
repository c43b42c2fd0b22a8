"""Staff views of trading data. Instruments are edited here (filters and fees; status through the
actions); orders, trades and positions are read-only: the engine worker writes them, and staff act
on them through engine commands (halt/resume/cancel-only, force-cancel)."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from accounts.admin import ReadOnlyAdmin
from accounts.admin_reason import staff_reason
from quantx_site.errors import ApiError
from trading.models import OPEN_STATUSES, Instrument, InstrumentStatus, Order, OrderList, Position, Trade
from trading.staff import StaffActionRefused, instrument_reload, instrument_set_status, order_force_cancel

ENGINE_ERRORS = (StaffActionRefused, ApiError)  # ApiError: the engine did not answer (engine_send)


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ("symbol", "base", "quote", "status", "tick_size", "lot_size", "min_qty", "max_qty",
                    "min_notional", "maker_fee", "taker_fee")  # fmt: skip
    list_filter = ("status",)
    search_fields = ("symbol",)
    actions = ["halt", "resume", "cancel_only"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Status changes go through the engine (actions below); base/quote never change after creation.
        return ("status", "base", "quote") if obj is not None else ("status",)

    def save_model(self, request: HttpRequest, obj: Instrument, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        try:
            instrument_reload(instrument=obj)
        except ENGINE_ERRORS as exc:
            messages.warning(request, f"Saved, but the engine has not picked it up yet: {exc}")

    def _set_status(
        self, request: HttpRequest, queryset: QuerySet[Instrument], status: str, title: str
    ) -> TemplateResponse | None:
        reason = staff_reason(self, request, queryset, title=title, required=False)
        if isinstance(reason, TemplateResponse):
            return reason
        done = []
        for instrument in queryset:
            try:
                instrument_set_status(instrument=instrument, status=status, staff=request.user, reason=reason)  # type: ignore[arg-type]
            except ENGINE_ERRORS as exc:
                self.message_user(request, f"{instrument}: {exc}", level=messages.ERROR)
            else:
                done.append(instrument.symbol)
        if done:
            self.message_user(request, f"{', '.join(done)} set to {status}.")
        return None

    @admin.action(description="Halt trading", permissions=["change"])
    def halt(self, request: HttpRequest, queryset: QuerySet[Instrument]) -> TemplateResponse | None:
        return self._set_status(request, queryset, InstrumentStatus.HALTED, "Halt trading")

    @admin.action(description="Resume trading", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Instrument]) -> TemplateResponse | None:
        return self._set_status(request, queryset, InstrumentStatus.TRADING, "Resume trading")

    @admin.action(description="Cancel-only (no new orders)", permissions=["change"])
    def cancel_only(self, request: HttpRequest, queryset: QuerySet[Instrument]) -> TemplateResponse | None:
        return self._set_status(
            request, queryset, InstrumentStatus.CANCEL_ONLY, "Cancel-only (no new orders)"
        )


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "user", "instrument", "side", "type", "tif", "price", "qty", "filled",
                    "status", "reason")  # fmt: skip
    list_filter = ("status", "side", "type", "instrument")
    search_fields = ("=id", "client_order_id", "user__username")
    list_select_related = ("user", "instrument")
    date_hierarchy = "created_at"
    actions = ["force_cancel"]

    def has_force_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("trading.change_order")

    @admin.action(description="Force-cancel selected open orders", permissions=["force_cancel"])
    def force_cancel(self, request: HttpRequest, queryset: QuerySet[Order]) -> TemplateResponse | None:
        open_orders = queryset.filter(status__in=OPEN_STATUSES)
        if not open_orders.exists():
            self.message_user(request, "None of the selected orders is open.", level=messages.WARNING)
            return None
        reason = staff_reason(
            self, request, open_orders, title="Force-cancel these open orders", required=True
        )
        if isinstance(reason, TemplateResponse):
            return reason
        canceled = 0
        for order in open_orders:
            try:
                order_force_cancel(order=order, staff=request.user, reason=reason)  # type: ignore[arg-type]
                canceled += 1
            except ENGINE_ERRORS as exc:
                self.message_user(request, f"Order {order.id}: {exc}", level=messages.ERROR)
        self.message_user(request, f"Canceled {canceled} order(s).")
        return None


@admin.register(Trade)
class TradeAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "instrument", "seq", "price", "qty", "taker_side", "taker", "maker",
                    "taker_fee", "maker_fee")  # fmt: skip
    list_filter = ("instrument", "taker_side")
    search_fields = ("=id", "taker__username", "maker__username", "=taker_order__id", "=maker_order__id")
    list_select_related = ("instrument", "taker", "maker")
    date_hierarchy = "created_at"


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = ("user", "instrument", "qty", "avg_price", "realized_pnl", "updated_at")
    list_filter = ("instrument",)
    search_fields = ("user__username",)
    list_select_related = ("user", "instrument")


@admin.register(OrderList)
class OrderListAdmin(ReadOnlyAdmin):
    """OCO lists (read-only; force-cancel one of its legs to cancel a list)."""

    list_display = ("id", "created_at", "user", "instrument", "client_list_id", "status", "updated_at")
    list_filter = ("status", "instrument")
    search_fields = ("=id", "client_list_id", "user__username")
    list_select_related = ("user", "instrument")
    date_hierarchy = "created_at"
