from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from config.admin_tools import ReadOnlyAdmin

from ..models import Activation, OrganisationAPIKey, SigningKey
from ..services import keys
from ._actions import ReasonForm, with_form


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ["kid", "status", "created_at", "rotated_at", "retired_at", "note"]
    list_filter = ["status"]
    search_fields = ["kid"]
    exclude = ["private_key"]
    readonly_fields = ["kid", "public_key", "status", "created_at", "created_by", "rotated_at", "retired_at", "note"]
    actions = ["retire"]
    change_list_template = "admin/licensing/signingkey/change_list.html"

    def has_rotate_permission(self, request):
        return request.user.has_perm("licensing.rotate_signing_key")

    def get_urls(self):
        return [
            path("rotate/", self.admin_site.admin_view(self.rotate_view), name="licensing_signingkey_rotate"),
        ] + super().get_urls()

    def rotate_view(self, request):
        """A new key signs from now on; the previous one keeps verifying until it is retired."""
        if not self.has_rotate_permission(request):
            raise PermissionDenied
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            key = keys.rotate(by=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, f"Key {key.kid} signs new licence keys from now on.")
            return redirect("admin:licensing_signingkey_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Rotate the signing key",
            "intro": "A new Ed25519 key signs licence keys from now on. The current one keeps verifying until you retire it.",
            "items": [],
            "submit": "Rotate",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/licensing/action_form.html", context)

    @admin.action(description="Retire (stop publishing; re-sign the licence keys it signed)", permissions=["rotate"])
    def retire(self, request, queryset):
        return with_form(
            self, request, queryset, title="Retire signing keys",
            intro="Keys they signed stop verifying; every live licence's key they signed is re-issued first.",
            submit="Retire", apply=lambda key, data: keys.retire(key, by=request.user, reason=data["reason"]),
        )  # fmt: skip


@admin.register(Activation)
class ActivationAdmin(ReadOnlyAdmin):
    list_display = ["name", "licence", "fingerprint", "created_at", "last_seen_at", "deactivated_at"]
    list_filter = [("deactivated_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "fingerprint", "licence__organisation__name"]
    list_select_related = ["licence__organisation"]


@admin.register(OrganisationAPIKey)
class OrganisationAPIKeyAdmin(ReadOnlyAdmin):
    list_display = ["name", "organisation", "prefix", "scopes", "created_by", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "organisation__name"]
    list_select_related = ["organisation", "created_by"]
    exclude = ["digest"]
