from datetime import datetime, time

from django import forms
from django.contrib import admin
from django.utils import timezone

from billing.interface import format_money
from config.admin_tools import ReadOnlyAdmin

from .. import selectors
from ..models import Licence, LicenceEvent, Seat
from ..services import licences
from ._actions import ReasonForm, with_form


class ExtendForm(ReasonForm):
    until = forms.DateField(label="New end date", widget=forms.DateInput(attrs={"type": "date"}))


class RaiseCapForm(ReasonForm):
    extra = forms.IntegerField(min_value=1, max_value=1000, label="More revocations allowed this term", initial=1)


class EventInline(admin.TabularInline):
    model = LicenceEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "reason", "actor", "data"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Licence)
class LicenceAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "status", "seats_display", "payment_method", "term_amount", "ends_at",
                    "invoice_status", "invoice_due_at"]  # fmt: skip
    list_filter = ["status", "payment_method", "tier_code", ("ends_at", admin.DateFieldListFilter)]
    search_fields = ["organisation__name", "organisation__slug", "stripe_subscription_id", "stripe_invoice_id",
                     "stripe_customer_id", "=public_id"]  # fmt: skip
    list_select_related = ["organisation"]
    readonly_fields = [f.name for f in Licence._meta.fields] + ["revocations"]
    inlines = [EventInline]
    actions = ["extend", "suspend", "reinstate", "raise_cap"]

    def has_extend_permission(self, request):
        return request.user.has_perm("licensing.extend_licence")

    def has_suspend_permission(self, request):
        return request.user.has_perm("licensing.suspend_licence")

    def has_raise_cap_permission(self, request):
        return request.user.has_perm("licensing.raise_revocation_cap")

    @admin.display(description="Seats in use")
    def seats_display(self, obj):
        text = f"{obj.seats_in_use} / {obj.seats}"
        return text + (f" (→ {obj.seats_next_term} at renewal)" if obj.seats_next_term else "")

    @admin.display(description="Per term")
    def term_amount(self, obj):
        return format_money(obj.unit_amount * obj.seats, obj.currency)

    @admin.display(description="Revocations this term")
    def revocations(self, obj):
        return f"{selectors.revocations_used(obj)} of {selectors.revocation_cap(obj)}"

    @admin.action(description="Extend the end date (with a reason)", permissions=["extend"])
    def extend(self, request, queryset):
        def apply(licence, data):
            until = timezone.make_aware(datetime.combine(data["until"], time(23, 59, 59)))
            licences.extend(licence, until=until, by=request.user, reason=data["reason"])

        return with_form(
            self, request, queryset, title="Extend licences", intro="Members' access and the licence key follow.",
            submit="Extend", apply=apply, form_class=ExtendForm,
        )  # fmt: skip

    @admin.action(description="Suspend (with a reason)", permissions=["suspend"])
    def suspend(self, request, queryset):
        return with_form(
            self, request, queryset, title="Suspend licences",
            intro="Members lose Enterprise access at once; the licence key validates as suspended.",
            submit="Suspend", apply=lambda lic, data: licences.suspend(lic, by=request.user, reason=data["reason"]),
        )  # fmt: skip

    @admin.action(description="Reinstate a suspended licence (with a reason)", permissions=["suspend"])
    def reinstate(self, request, queryset):
        return with_form(
            self, request, queryset, title="Reinstate licences", intro="Members get their access back at once.",
            submit="Reinstate", apply=lambda lic, data: licences.reinstate(lic, by=request.user, reason=data["reason"]),
        )  # fmt: skip

    @admin.action(description="Raise the revocation cap (with a reason)", permissions=["raise_cap"])
    def raise_cap(self, request, queryset):
        return with_form(
            self, request, queryset, title="Raise the revocation cap",
            intro="The organisation may revoke this many more seats this term.", submit="Raise",
            apply=lambda lic, data: licences.raise_revocation_cap(
                lic, extra=data["extra"], by=request.user, reason=data["reason"]
            ),
            form_class=RaiseCapForm,
        )  # fmt: skip


@admin.register(Seat)
class SeatAdmin(ReadOnlyAdmin):
    list_display = ["email", "licence", "status", "source", "invited_at", "activated_at", "revoked_at"]
    list_filter = ["status", "source"]
    search_fields = ["email", "user__email", "licence__organisation__name", "licence__organisation__slug"]
    list_select_related = ["licence__organisation", "user"]
    exclude = ["invitation_digest"]


@admin.register(LicenceEvent)
class LicenceEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "licence", "kind", "reason", "actor"]
    list_filter = ["kind"]
    search_fields = ["licence__organisation__name", "reason", "kind"]
    list_select_related = ["licence__organisation", "actor"]
