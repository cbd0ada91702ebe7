"""The two shapes every marketplace admin action takes: run a service on each selected row, and ask
for a reason first. The services hold the rules; these only report what happened."""

from collections.abc import Callable, Iterable

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from config.errors import DomainError


def run_on_each(modeladmin, request, queryset: Iterable, call: Callable, *, done: str, noun: str, label=str) -> None:
    """`call(obj)` for every row; one success message with the count, one error message per refusal.

    `call` may return a string instead of raising to report a row that did not go through."""
    succeeded = 0
    for obj in queryset:
        try:
            problem = call(obj)
        except DomainError as exc:
            problem = exc.message
        if isinstance(problem, str) and problem:
            modeladmin.message_user(request, f"{label(obj)}: {problem}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{succeeded} {noun}(s) {done}.", messages.SUCCESS)


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
