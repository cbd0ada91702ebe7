"""The two shapes of a licensing admin action: run a service on each selected row, or ask for a reason (and
other inputs) first. Services hold the rules; these only report what happened."""

from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse

from config.admin_tools import run_on_each


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}), label="Reason")


def with_form(
    modeladmin, request, queryset, *, title: str, intro: str, submit: str, apply: Callable, form_class=ReasonForm
):
    """Show the selected rows and the form; once it is valid, `apply(obj, cleaned_data)` on each row."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        run_on_each(modeladmin, request, queryset, lambda obj: apply(obj, form.cleaned_data), done="done")
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "items": [(obj.pk, str(obj)) for obj in queryset],
        "action": request.POST.get("action", ""),
        "submit": submit,
        "form": form,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/licensing/action_form.html", context)
