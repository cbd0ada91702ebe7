"""The console for instructor money: revenue-share rules, sales, the ledger, balances, payouts.

Sales, ledger entries and balances are read-only here: they change only through the services
(a mistake is fixed with a correction entry, never by editing). Payout actions call services.payouts.
"""

import uuid

from django.contrib import admin, messages

from billing.interface import BPS, MoneyError, format_bps, format_money, parse_amount
from config.admin_tools import ReadOnlyAdmin, run_on_each
from config.errors import DomainError

from .admin_actions import with_reason
from .forms import LedgerCorrectionForm
from .models import EarningsEntry, InstructorBalance, Payout, RevenueShareRule, Sale
from .services import earnings
from .services import payouts as payout_services


@admin.register(RevenueShareRule)
class RevenueShareRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "instructor_share", "tier_code", "is_active", "updated_at"]
    list_filter = ["is_active", "tier_code"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: sales keep the code of the rule that split them

    @admin.display(description="Instructor / platform", ordering="instructor_bps")
    def instructor_share(self, rule):
        return f"{format_bps(rule.instructor_bps)} / {format_bps(BPS - rule.instructor_bps)}"


class EntryInline(admin.TabularInline):
    model = EarningsEntry
    fk_name = "sale"
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "bucket", "amount", "idempotency_key", "refund", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Sale)
class SaleAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "course",
        "instructor",
        "gross_display",
        "instructor_bps",
        "share_display",
        "released_at",
    ]
    list_filter = [
        "currency",
        "rule_code",
        ("created_at", admin.DateFieldListFilter),
        ("released_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["instructor__email", "course__title", "payment__receipt_number", "=payment__id"]
    date_hierarchy = "created_at"
    list_select_related = ["course", "instructor"]
    readonly_fields = [f.name for f in Sale._meta.fields]
    inlines = [EntryInline]

    @admin.display(description="Gross", ordering="gross")
    def gross_display(self, sale):
        return format_money(sale.gross, sale.currency)

    @admin.display(description="Instructor / platform")
    def share_display(self, sale):
        return f"{format_money(sale.instructor_amount, sale.currency)} / {format_money(sale.platform_amount, sale.currency)}"


@admin.register(EarningsEntry)
class EarningsEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "instructor", "kind", "bucket", "amount_display", "idempotency_key"]
    list_filter = ["kind", "bucket", "currency", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["instructor__email", "idempotency_key", "note"]
    date_hierarchy = "created_at"
    list_select_related = ["instructor"]
    readonly_fields = [f.name for f in EarningsEntry._meta.fields]

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, entry):
        return format_money(entry.amount, entry.currency)


@admin.register(InstructorBalance)
class InstructorBalanceAdmin(ReadOnlyAdmin):
    list_display = ["instructor", "currency", "pending_display", "available_display", "debt_display", "updated_at"]
    list_filter = ["currency"]
    search_fields = ["instructor__email"]
    list_select_related = ["instructor"]
    readonly_fields = [f.name for f in InstructorBalance._meta.fields]
    actions = ["correct"]

    @admin.action(description="Post a correction…")
    def correct(self, request, queryset):
        balances = list(queryset.select_related("instructor")[:2])
        if len(balances) != 1:
            self.message_user(request, "Select exactly one balance to correct.", messages.ERROR)
            return None
        balance = balances[0]

        def apply(data):
            try:
                amount = parse_amount(data["amount"], balance.currency) or 0
                entry = earnings.post_correction(
                    balance.instructor,
                    currency=balance.currency,
                    amount=-amount if data["direction"] == "debit" else amount,
                    bucket=data["bucket"],
                    note=data["note"],
                    key=data["key"],
                    by=request.user,
                )
            except (DomainError, MoneyError) as exc:
                self.message_user(request, f"Nothing was posted: {getattr(exc, 'message', exc)}", messages.ERROR)
                return
            self.message_user(
                request,
                f"Correction of {format_money(entry.amount, entry.currency)} posted to {balance.instructor}'s "
                f"{entry.bucket} balance.",
                messages.SUCCESS,
            )

        return with_reason(
            self,
            request,
            queryset,
            form_class=lambda data=None: LedgerCorrectionForm(data, initial={"key": uuid.uuid4().hex}),
            title="Post a ledger correction",
            intro="A correcting entry is added to the ledger and applied to this balance; no entry is edited:",
            describe=lambda b: (
                f"{b.instructor} — pending {format_money(b.pending, b.currency)}, "
                f"available {format_money(b.available, b.currency)}"
            ),
            submit="Post the correction",
            apply=apply,
        )

    @admin.display(description="Pending", ordering="pending")
    def pending_display(self, balance):
        return format_money(balance.pending, balance.currency)

    @admin.display(description="Available", ordering="available")
    def available_display(self, balance):
        return format_money(balance.available, balance.currency)

    @admin.display(description="Owed from refunds", ordering="debt")
    def debt_display(self, balance):
        return format_money(balance.debt, balance.currency)


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = ["created_at", "instructor", "amount_display", "status", "attempts", "stripe_transfer_id", "paid_at"]
    list_filter = ["status", "currency", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["instructor__email", "stripe_transfer_id", "stripe_account_id", "=id"]
    date_hierarchy = "created_at"
    list_select_related = ["instructor"]
    readonly_fields = [f.name for f in Payout._meta.fields]
    actions = ["retry", "cancel"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, payout):
        return format_money(payout.amount, payout.currency)

    def _run(self, request, queryset, service, done: str, **kwargs) -> None:
        def call(payout):
            result = service(payout, **kwargs)
            if result.status == Payout.Status.FAILED:
                return f"failed again: {result.last_error}"
            return None

        run_on_each(self, request, queryset, call, done=done, noun="payout", label=lambda p: f"Payout {p.pk}")

    @admin.action(description="Retry the transfer now")
    def retry(self, request, queryset):
        self._run(request, queryset, payout_services.retry_payout, "paid")

    @admin.action(description="Cancel failed payouts (return the money to the balance)")
    def cancel(self, request, queryset):
        self._run(request, queryset, payout_services.cancel_payout, "canceled", by=request.user)
