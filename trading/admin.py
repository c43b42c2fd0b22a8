"""Staff views of trading data. Instruments are edited here; orders, trades and positions are
read-only (they are written by the engine worker only)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin import ReadOnlyAdmin
from trading.models import Instrument, InstrumentStatus, Order, Position, Trade


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ("symbol", "base", "quote", "status", "tick_size", "lot_size", "min_qty", "max_qty",
                    "min_notional", "maker_fee", "taker_fee")
    list_filter = ("status",)
    search_fields = ("symbol",)
    actions = ["halt", "resume", "cancel_only"]

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Instrument], status: str) -> None:
        count = queryset.update(status=status)
        self.message_user(request, f"{count} instrument(s) set to {status}.")

    @admin.action(description="Halt trading", permissions=["change"])
    def halt(self, request: HttpRequest, queryset: QuerySet[Instrument]) -> None:
        self._set_status(request, queryset, InstrumentStatus.HALTED)

    @admin.action(description="Resume trading", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Instrument]) -> None:
        self._set_status(request, queryset, InstrumentStatus.TRADING)

    @admin.action(description="Cancel-only (no new orders)", permissions=["change"])
    def cancel_only(self, request: HttpRequest, queryset: QuerySet[Instrument]) -> None:
        self._set_status(request, queryset, InstrumentStatus.CANCEL_ONLY)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "user", "instrument", "side", "type", "tif", "price", "qty", "filled", "status", "reason")
    list_filter = ("status", "side", "type", "instrument")
    search_fields = ("=id", "client_order_id", "user__username")
    list_select_related = ("user", "instrument")
    date_hierarchy = "created_at"


@admin.register(Trade)
class TradeAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "instrument", "seq", "price", "qty", "taker_side", "taker", "maker", "taker_fee", "maker_fee")
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
