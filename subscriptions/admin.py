"""The operations console: tiers and features, subscriptions, entitlements (grant/revoke), Finance dashboard."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import path, reverse

from billing.interface import format_money
from config.errors import DomainError

from . import selectors
from .forms import GrantForm, RevokeForm
from .models import Entitlement, Feature, Subscription, Tier, TierFeature
from .services import entitlements


class TierFeatureInline(admin.TabularInline):
    model = TierFeature
    extra = 1
    autocomplete_fields = ["feature"]


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order", "monthly", "annual", "is_active", "stripe_product_id"]
    readonly_fields = ["stripe_product_id", "stripe_monthly_price_id", "stripe_annual_price_id"]
    inlines = [TierFeatureInline]

    @admin.display(description="Monthly", ordering="monthly_price")
    def monthly(self, obj):
        return format_money(obj.monthly_price, obj.currency)

    @admin.display(description="Annual", ordering="annual_price")
    def annual(self, obj):
        return format_money(obj.annual_price, obj.currency)


@admin.register(Feature)
class FeatureAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "description"]
    search_fields = ["code", "name"]


class EntitlementInline(admin.TabularInline):
    model = Entitlement
    extra = 0
    can_delete = False
    fields = ["tier", "source", "valid_from", "valid_until", "revoked_at", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "tier",
        "interval",
        "status",
        "current_period_end",
        "monthly_value_display",
        "cancel_at_period_end",
        "pending_tier",
    ]
    list_filter = ["status", "tier", "interval", "cancel_at_period_end"]
    search_fields = ["user__email", "stripe_subscription_id", "stripe_customer_id"]
    list_select_related = ["user", "tier", "pending_tier"]
    readonly_fields = [f.name for f in Subscription._meta.fields]
    inlines = [EntitlementInline]
    actions = ["grant_complimentary"]
    change_list_template = "admin/subscriptions/subscription/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Renews", ordering="current_period_end")
    def renewal(self, obj):
        return obj.current_period_end

    @admin.display(description="Monthly value")
    def monthly_value_display(self, obj):
        return format_money(obj.monthly_value, obj.tier.currency)

    @admin.action(description="Grant complimentary access to these subscribers")
    def grant_complimentary(self, request, queryset):
        users = get_user_model().objects.filter(pk__in=queryset.values("user_id"))
        return _grant_form(self, request, users, queryset.values_list("pk", flat=True))

    def get_urls(self):
        return [
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="subscriptions_dashboard"),
        ] + super().get_urls()

    def dashboard_view(self, request):
        data = selectors.dashboard()
        top = max([t.active for t in data["by_tier"]] + [1])
        bars = [{"tier": t, "count": t.active, "pct": round(100 * t.active / top)} for t in data["by_tier"]]
        context = {
            **self.admin_site.each_context(request),
            "title": "Subscriptions dashboard",
            "mrr": [format_money(v, c) for c, v in sorted(data["mrr"].items())] or ["$0.00"],
            "bars": bars,
            **{k: data[k] for k in ("new", "churned", "past_due", "month_start")},
        }
        return TemplateResponse(request, "admin/subscriptions/dashboard.html", context)


def _grant_form(model_admin, request, users, selected):
    form = GrantForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        granted = 0
        for user in users:
            try:
                entitlements.grant_entitlement(
                    user,
                    form.cleaned_data["tier"],
                    Entitlement.Source.STAFF_GRANT,
                    valid_until=form.cleaned_data["valid_until"],
                    reason=form.cleaned_data["reason"],
                    granted_by=request.user,
                    reference=f"staff:{request.user.pk}",
                )
                granted += 1
            except DomainError as exc:
                model_admin.message_user(request, f"{user}: {exc.message}", messages.ERROR)
        model_admin.message_user(request, f"Granted {form.cleaned_data['tier']} to {granted} user(s).")
        return None
    return render(
        request,
        "admin/subscriptions/grant_form.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": "Grant complimentary access",
            "form": form,
            "users": users,
            "selected": selected,
            "action": "grant_complimentary",
            "opts": model_admin.model._meta,
        },
    )


@admin.register(Entitlement)
class EntitlementAdmin(admin.ModelAdmin):
    list_display = ["user", "tier", "source", "valid_from", "valid_until", "revoked_at", "reason", "granted_by"]
    list_filter = ["source", "tier", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "reference", "reason"]
    list_select_related = ["user", "tier", "granted_by"]
    readonly_fields = [f.name for f in Entitlement._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # grants go through the grant form, which records who and why

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("grant/", self.admin_site.admin_view(self.grant_view), name="subscriptions_entitlement_grant"),
        ] + super().get_urls()

    def grant_view(self, request):
        email = (request.POST.get("email") or request.GET.get("email") or "").strip()
        users = get_user_model().objects.filter(email__iexact=email) if email else get_user_model().objects.none()
        if request.method == "POST" and not users:
            messages.error(request, "No user has that e-mail address.")
        elif request.method == "POST":
            response = _grant_form(self, request, users, [])
            if response is None:
                return redirect(reverse("admin:subscriptions_entitlement_changelist"))
            return response
        return render(
            request,
            "admin/subscriptions/grant_form.html",
            {
                **self.admin_site.each_context(request),
                "title": "Grant complimentary access",
                "form": GrantForm(),
                "ask_email": True,
                "email": email,
                "opts": self.model._meta,
            },
        )

    @admin.action(description="Revoke the selected entitlements (with a reason)")
    def revoke(self, request, queryset):
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for entitlement in queryset:
                entitlements.revoke_entitlement(
                    entitlement, reason=form.cleaned_data["reason"], revoked_by=request.user
                )
            self.message_user(request, f"Revoked {queryset.count()} entitlement(s).")
            return None
        return render(
            request,
            "admin/subscriptions/revoke_form.html",
            {
                **self.admin_site.each_context(request),
                "title": "Revoke access",
                "form": form,
                "entitlements": queryset,
                "opts": self.model._meta,
            },
        )
