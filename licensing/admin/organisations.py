from django.contrib import admin

from config.admin_tools import ReadOnlyAdmin

from ..models import Membership, Organisation, OrganisationDomain
from ..services import organisations
from ._actions import with_form


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class DomainInline(admin.TabularInline):
    model = OrganisationDomain
    extra = 0
    fields = ["domain", "auto_seat", "verified_at", "verified_by", "verification_note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "billing_email", "member_count", "created_at"]
    search_fields = ["name", "slug", "billing_email", "tax_id", "stripe_customer_id", "memberships__user__email"]
    readonly_fields = [f.name for f in Organisation._meta.fields]
    inlines = [MembershipInline, DomainInline]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(members=Count("memberships"))

    @admin.display(description="Members", ordering="members")
    def member_count(self, obj):
        return obj.members


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organisation__name", "organisation__slug"]
    list_select_related = ["user", "organisation"]


@admin.register(OrganisationDomain)
class OrganisationDomainAdmin(ReadOnlyAdmin):
    list_display = ["domain", "organisation", "auto_seat", "verified_at", "verified_by"]
    list_filter = ["auto_seat", ("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["domain", "organisation__name"]
    list_select_related = ["organisation", "verified_by"]
    actions = ["verify"]

    def has_verify_permission(self, request):
        return request.user.has_perm("licensing.verify_domain")

    @admin.action(description="Verify selected domains (with a note)", permissions=["verify"])
    def verify(self, request, queryset):
        return with_form(
            self,
            request,
            queryset,
            title="Verify domains",
            intro="Say how you checked that the organisation controls each domain (e.g. the DNS TXT record).",
            submit="Verify",
            apply=lambda domain, data: organisations.verify_domain(domain, by=request.user, note=data["reason"]),
        )
