import json

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from config.errors import DomainError

from . import selectors, services, webhooks
from .forms import RefundForm
from .mirror_admin import make_mirror_read_only
from .models import ConnectedAccount, Customer, Payment, Refund, StripeEvent
from .money import format_money


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ["created_at", "amount", "status", "source", "reason", "stripe_refund_id", "requested_by", "revoked_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "description", "amount_display", "status", "purpose", "receipt_number"]
    list_filter = ["status", "purpose", "mode", "currency", ("created_at", admin.DateFieldListFilter)]
    search_fields = [
        "user__email",
        "receipt_number",
        "stripe_checkout_session_id",
        "stripe_payment_intent_id",
        "stripe_charge_id",
        "stripe_invoice_id",
        "stripe_subscription_id",
        "reference",
        "=id",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = [RefundInline]
    actions = ["refund_in_full"]
    change_form_template = "admin/billing/payment/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        text = format_money(obj.amount, obj.currency)
        if obj.amount_refunded:
            text += f" (−{format_money(obj.amount_refunded, obj.currency)})"
        return text

    def get_urls(self):
        return [
            path("<uuid:pk>/refund/", self.admin_site.admin_view(self.refund_view), name="billing_payment_refund"),
            path("revenue/", self.admin_site.admin_view(self.revenue_view), name="billing_revenue"),
        ] + super().get_urls()

    def refund_view(self, request, pk):
        # Who may open this page (and the other console pages): accounts/permission_table.py.
        payment = get_object_or_404(Payment, pk=pk)
        form = RefundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                refund = services.refund_payment(
                    payment,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    requested_by=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Refunded {format_money(refund.amount, payment.currency)}.")
                return redirect("admin:billing_payment_change", payment.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund {payment}",
            "payment": payment,
            "form": form,
            "refundable": format_money(payment.refundable_amount, payment.currency),
            "opts": self.model._meta,
        }
        return render(request, "admin/billing/payment/refund.html", context)

    def revenue_view(self, request):
        summary = selectors.revenue_summary()
        chart = selectors.daily_revenue("usd", 30)
        peak = max([d["net"] for d in chart] + [1])
        bars = [
            {
                "date": d["date"],
                "net": d["net"],
                "label": format_money(d["net"], "usd"),
                "pct": round(100 * max(d["net"], 0) / peak),
            }
            for d in chart
        ]
        for window in summary.values():
            for row in window["by_purpose"] + window["totals"]:
                for key in ("gross", "refunds", "net"):
                    row[f"{key}_display"] = format_money(row[key], row["currency"])
        context = {
            **self.admin_site.each_context(request),
            "title": "Revenue",
            "summary": summary,
            "bars": bars,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/revenue.html", context)

    @admin.action(description="Refund selected payments in full")
    def refund_in_full(self, request, queryset):
        done = 0
        for payment in queryset:
            try:
                services.refund_payment(
                    payment, amount=None, reason="Refunded in full by staff", requested_by=request.user
                )
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{payment}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} payment(s) refunded.", messages.SUCCESS)


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["created_at", "payment", "amount", "status", "source", "requested_by", "revoked_at"]
    list_filter = ["status", "source", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["stripe_refund_id", "payment__receipt_number", "payment__user__email", "reason"]
    list_select_related = ["payment", "requested_by"]
    readonly_fields = [f.name for f in Refund._meta.fields]

    def has_add_permission(self, request):
        return False  # refunds are made from the payment, through the service

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "type", "event_id", "status_badge", "attempts", "short_error"]
    list_filter = ["status", "type", ("received_at", admin.DateFieldListFilter)]
    search_fields = ["event_id", "object_id", "type", "last_error"]
    readonly_fields = [f.name for f in StripeEvent._meta.fields if f.name != "payload"] + ["pretty_payload"]
    exclude = ["payload"]
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        # A class, not a style attribute: the CSP (no 'unsafe-inline') blocks inline styles (static/css/console.css).
        return format_html('<strong class="status status-{}">{}</strong>', obj.status, obj.get_status_display())

    @admin.display(description="Error")
    def short_error(self, obj):
        return (obj.last_error or "")[:80]

    @admin.display(description="Payload")
    def pretty_payload(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True)[:20000])

    @admin.action(description="Replay selected events now")
    def replay(self, request, queryset):
        ok = failed = 0
        for event in queryset:
            try:
                webhooks.replay_event(event)
                ok += 1
            except Exception as exc:  # noqa: BLE001 - shown to the operator
                failed += 1
                self.message_user(request, f"{event.event_id}: {exc}", messages.ERROR)
        if ok:
            self.message_user(request, f"{ok} event(s) replayed.", messages.SUCCESS)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["user", "stripe_customer_id", "created_at"]
    search_fields = ["user__email", "stripe_customer_id"]
    list_select_related = ["user"]
    readonly_fields = ["user", "stripe_customer_id", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "stripe_account_id", "details_submitted", "payouts_enabled", "updated_at"]
    list_filter = ["payouts_enabled", "details_submitted"]
    search_fields = ["user__email", "stripe_account_id"]
    list_select_related = ["user"]
    readonly_fields = [
        "user",
        "stripe_account_id",
        "details_submitted",
        "payouts_enabled",
        "charges_enabled",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False


# dj-stripe's admins were registered before ours (INSTALLED_APPS order): make them the read-only mirror.
make_mirror_read_only(admin.site)
