from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone

from . import services
from .models import APIKey, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "display_name", "is_instructor", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_instructor", "is_staff", "is_superuser", "is_active", "groups", "date_joined"]
    search_fields = ["email", "display_name"]
    readonly_fields = ["date_joined", "last_login", "deleted_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "timezone", "marketing_emails", "learning_reminders"]}),
        ("Roles", {"fields": ["is_active", "is_instructor", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["date_joined", "last_login", "deleted_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    actions = ["grant_instructor_role"]

    @admin.action(description="Grant the instructor role")
    def grant_instructor_role(self, request, queryset):
        for user in queryset:
            services.grant_instructor(user)
        self.message_user(request, f"{queryset.count()} user(s) are now instructors.", messages.SUCCESS)


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "prefix", "user__email"]
    readonly_fields = ["user", "name", "prefix", "digest", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # keys are created by their owner, who alone sees the secret

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            services.revoke_api_key(key.user, key.pk)
            count += 1
        self.message_user(request, f"{count} key(s) revoked at {timezone.now():%H:%M}.", messages.SUCCESS)
