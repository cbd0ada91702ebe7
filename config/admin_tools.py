"""Shapes every app's console actions share. The services hold the rules; these only report what happened."""

from collections.abc import Callable, Iterable

from django.contrib import admin, messages

from config.errors import DomainError


def run_on_each(
    modeladmin, request, queryset: Iterable, call: Callable, *, done: str, noun: str = "", label: Callable = str
) -> int:
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
        counted = f"{succeeded} {noun}(s)" if noun else str(succeeded)
        modeladmin.message_user(request, f"{counted} {done}.", messages.SUCCESS)
    return succeeded


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record the console shows but never adds, edits or deletes (ledgers, logs, mirrors)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
