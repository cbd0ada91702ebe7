from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html

from billing.interface import CURRENCIES, format_money, parse_amount
from config.admin_tools import ReadOnlyAdmin, run_on_each
from config.errors import DomainError

from ..models import PaymentMethod, Quote, QuoteVersion
from ..models.quotes import MAX_SEATS, TERM_CHOICES
from ..services import quotes
from ._actions import with_form


class PrepareForm(forms.Form):
    seats = forms.IntegerField(min_value=1, max_value=MAX_SEATS)
    unit_price = forms.CharField(label="Price per seat per year", help_text="In the currency below, e.g. 120.00")
    currency = forms.ChoiceField(choices=[(c, c.upper()) for c in sorted(CURRENCIES)], initial="usd")
    discount_percent = forms.DecimalField(
        min_value=0, max_value=99.99, decimal_places=2, initial=0, label="Discount (%)", help_text="e.g. 12.5"
    )
    term_months = forms.TypedChoiceField(choices=TERM_CHOICES, coerce=int)
    payment_method = forms.ChoiceField(choices=PaymentMethod.choices)
    start_on_acceptance = forms.BooleanField(
        required=False, initial=True, label="Invoice: start the licence on acceptance, before the invoice is paid"
    )
    valid_until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Notes for the buyer")

    def clean(self):
        data = super().clean()
        if "unit_price" in data and "currency" in data:
            try:
                data["unit_price_minor"] = parse_amount(data["unit_price"], data["currency"])
            except ValueError as exc:
                self.add_error("unit_price", str(exc))
            if data.get("unit_price_minor") in (None, 0):
                self.add_error("unit_price", "Enter a price above zero.")
        return data


class VersionInline(admin.TabularInline):
    model = QuoteVersion
    extra = 0
    can_delete = False
    fields = ["number", "seats", "term_months", "price_display", "discount_bps", "total_display", "payment_method",
              "valid_until", "sent_at", "superseded_at", "prepared_by"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Price / seat / year")
    def price_display(self, obj):
        return format_money(obj.unit_price, obj.currency)

    @admin.display(description="Total")
    def total_display(self, obj):
        return format_money(obj.total, obj.currency)


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = ["reference_display", "company", "contact_email", "seats_wanted", "term_months", "payment_method",
                    "status", "current_total", "created_at"]  # fmt: skip
    list_filter = ["status", "payment_method", "term_months", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["company", "contact_name", "contact_email", "=id"]
    readonly_fields = ["company", "contact_name", "contact_email", "seats_wanted", "term_months", "payment_method",
                       "message", "status", "organisation", "accepted_version", "accepted_at", "accepted_by",
                       "lost_reason", "closed_at", "created_at", "requested_by", "prepare_link"]  # fmt: skip
    exclude = ["token"]
    inlines = [VersionInline]
    date_hierarchy = "created_at"
    actions = ["send", "mark_lost"]

    def get_queryset(self, request):
        from django.db.models import Prefetch

        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("versions", queryset=QuoteVersion.objects.filter(superseded_at__isnull=True)))
        )

    def has_work_permission(self, request):
        return request.user.has_perm("licensing.work_quote")

    @admin.display(description="Quote", ordering="id")
    def reference_display(self, obj):
        return obj.reference

    @admin.display(description="Current total")
    def current_total(self, obj):
        current = next(iter(obj.versions.all()), None)
        return format_money(current.total, current.currency) if current else "—"

    @admin.display(description="Prepare or revise")
    def prepare_link(self, obj):
        if obj.status in (Quote.Status.ACCEPTED, Quote.Status.LOST):
            return "—"
        return format_html(
            '<a href="{}">Prepare a new version</a>', reverse("admin:licensing_quote_prepare", args=[obj.pk])
        )

    def get_urls(self):
        return [
            path("<int:pk>/prepare/", self.admin_site.admin_view(self.prepare_view), name="licensing_quote_prepare"),
        ] + super().get_urls()

    def prepare_view(self, request, pk):
        """Prepare the first version or revise (a new version); optionally send it at once."""
        if not self.has_work_permission(request):
            raise PermissionDenied
        quote = get_object_or_404(Quote, pk=pk)
        current = quote.versions.filter(superseded_at__isnull=True).first()
        initial = {
            "seats": current.seats if current else quote.seats_wanted,
            "term_months": current.term_months if current else quote.term_months,
            "payment_method": current.payment_method if current else quote.payment_method,
            "currency": current.currency if current else "usd",
        }
        form = PrepareForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                version = quotes.prepare_version(
                    quote,
                    seats=data["seats"],
                    unit_price=data["unit_price_minor"],
                    currency=data["currency"],
                    discount_bps=int(data["discount_percent"] * 100),
                    term_months=data["term_months"],
                    valid_until=data["valid_until"],
                    payment_method=data["payment_method"],
                    start_on_acceptance=data["start_on_acceptance"],
                    notes=data["notes"],
                    by=request.user,
                )
                total = format_money(version.total, version.currency)
                if "save_and_send" in request.POST:
                    quotes.send_quote(quote, by=request.user)
                    messages.success(request, f"Version {version.number} ({total}) sent to {quote.contact_email}.")
                else:
                    messages.success(request, f"Version {version.number} saved: {total}. Send it when ready.")
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("admin:licensing_quote_change", quote.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Prepare {quote.reference} for {quote.company}",
            "quote": quote,
            "current": current,
            "current_total": format_money(current.total, current.currency) if current else "",
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/licensing/prepare_quote.html", context)

    @admin.action(description="Send the current version to the contact", permissions=["work"])
    def send(self, request, queryset):
        run_on_each(self, request, queryset, lambda q: quotes.send_quote(q, by=request.user), done="quote(s) sent")

    @admin.action(description="Mark as lost (with a reason)", permissions=["work"])
    def mark_lost(self, request, queryset):
        return with_form(
            self,
            request,
            queryset,
            title="Mark quotes lost",
            intro="Why did we lose them? (kept on the quote)",
            submit="Mark lost",
            apply=lambda q, data: quotes.mark_lost(q, reason=data["reason"], by=request.user),
        )


@admin.register(QuoteVersion)
class QuoteVersionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "seats", "term_months", "total_display", "valid_until", "sent_at", "superseded_at"]
    list_filter = ["payment_method", "term_months"]
    search_fields = ["quote__company", "quote__contact_email"]
    list_select_related = ["quote"]

    @admin.display(description="Total", ordering="total")
    def total_display(self, obj):
        return format_money(obj.total, obj.currency)
