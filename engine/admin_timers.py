"""The dead-man's switch timers in the admin, read-only: the engine is their only writer
(engine.worker.timers); staff see who has a countdown or cancel-on-disconnect sockets armed."""

from django.contrib import admin
from django.http import HttpRequest

from engine.models import CancelTimer


@admin.register(CancelTimer)
class CancelTimerAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "symbol", "deadline_ms", "timeout_ms", "sockets", "updated_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "symbol")
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
