"""Asking for a reason before a marketplace admin action (running a service on each row is
config.admin_tools.run_on_each). The services hold the rules; these only report what happened."""

from collections.abc import Callable

from django.contrib import admin
from django.template.response import TemplateResponse


def with_reason(
    modeladmin,
    request,
    queryset,
    *,
    form_class,
    title: str,
    intro: str,
    describe: Callable,
    submit: str,
    apply: Callable[[dict], None],
):
    """First show the selected rows and a reason form; once it is filled in, `apply(cleaned_data)`."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        apply(form.cleaned_data)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "items": [(obj.pk, describe(obj)) for obj in queryset],
        "action": request.POST.get("action", ""),
        "submit": submit,
        "form": form,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/marketplace/reason_form.html", context)
