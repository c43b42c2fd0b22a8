"""The "why" of a staff action taken from an admin changelist: an intermediate page that asks for a
reason (required for force-cancels, optional for status changes) and posts the action again."""

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

APPLY = "apply"
"""The confirmation page's submit: present when the reason comes with the POST."""


class StaffReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why: kept in the staff audit trail (Staff actions).",
    )

    def __init__(self, *args: object, required: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["reason"].required = required


def staff_reason(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, *, title: str, required: bool
) -> str | TemplateResponse:
    """The reason posted with the confirmation page, or that page (return it from the action)."""
    form = StaffReasonForm(request.POST if APPLY in request.POST else None, required=required)
    if form.is_bound and form.is_valid():
        return str(form.cleaned_data["reason"]).strip()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "objects": queryset,
        "opts": model_admin.model._meta,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "apply": APPLY,
    }
    return TemplateResponse(request, "admin/staff_action_reason.html", context)
