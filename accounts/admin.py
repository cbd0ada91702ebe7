from auditlog.admin import LogEntryAdmin as AuditlogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from . import services
from .models import APIKey, User
from .roles import may

# Fields only superusers change (accounts/permission_table.py, "accounts.change_roles"): staff status and
# rights, and what signs an account in (e-mail, password) — changing those is taking the account over.
ROLE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")
SIGN_IN_FIELDS = ("email",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "display_name", "is_instructor", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_instructor", "is_staff", "is_superuser", "is_active", "groups", "date_joined"]
    search_fields = ["email", "display_name"]
    readonly_fields = ["date_joined", "last_login", "deleted_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            "Profile",
            {
                "fields": [
                    "display_name",
                    "timezone",
                    "marketing_emails",
                    "learning_reminders",
                    "reward_emails",
                    "on_public_leaderboards",
                ]
            },
        ),
        ("Roles", {"fields": ["is_active", "is_instructor", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["date_joined", "last_login", "deleted_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    actions = ["grant_instructor_role"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not may(request.user, "accounts.change_roles"):
            readonly += [*ROLE_FIELDS, *SIGN_IN_FIELDS]
        if not may(request.user, "accounts.grant_instructor"):
            readonly.append("is_instructor")
        return readonly

    def has_change_permission(self, request, obj=None):
        # Staff and superuser accounts are changed by superusers only: anyone else could lock them out.
        if obj is not None and (obj.is_staff or obj.is_superuser) and not may(request.user, "accounts.change_roles"):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        """The readonly fields above keep these out of the form; this refuses anything that still slipped in."""
        if change and not may(request.user, "accounts.change_roles"):
            stored = User.objects.get(pk=obj.pk)
            guarded = [*ROLE_FIELDS[:2], *SIGN_IN_FIELDS, "password"]
            if not may(request.user, "accounts.grant_instructor"):
                guarded.append("is_instructor")
            if any(getattr(stored, name) != getattr(obj, name) for name in guarded):
                raise PermissionDenied("Only superusers change staff status, rights, e-mail or password.")
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if not may(request.user, "accounts.change_roles") and {"groups", "user_permissions"} & set(form.changed_data):
            raise PermissionDenied("Only superusers change groups or permissions.")
        super().save_related(request, form, formsets, change)

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


# The audit trail (accounts/audit.py), read-only: nobody adds, changes or deletes an entry from the console.
if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditEntryAdmin(AuditlogEntryAdmin):
    list_display = ["created", "resource_url", "action", "msg_short", "user_url", "remote_addr"]
    # auditlog's default searches first_name/last_name, which this User has not.
    search_fields = ["object_repr", "actor__email", "actor_email", "remote_addr"]
    readonly_fields = ["created", "resource_url", "action", "user_url", "remote_addr", "msg"]
    fieldsets = [
        (None, {"fields": ["created", "user_url", "remote_addr", "resource_url", "cid"]}),
        ("Changes (before → after)", {"fields": ["action", "msg"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False
