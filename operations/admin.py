from django.contrib import admin

from .models import OperationalCheck


@admin.register(OperationalCheck)
class OperationalCheckAdmin(admin.ModelAdmin):
    """Read-only history: results are appended by `manage.py record_check`, never edited."""

    list_display = ["finished_at", "kind", "passed", "summary", "recorded_by"]
    list_filter = ["kind", "passed", ("finished_at", admin.DateFieldListFilter)]
    search_fields = ["summary", "recorded_by", "kind"]
    date_hierarchy = "finished_at"
    readonly_fields = [f.name for f in OperationalCheck._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
