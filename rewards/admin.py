"""The rewards console: rules, boosts, the programme and shop items are data the Rewards group edits; the
ledger (balances, entries, redemptions), streaks and leagues are read-only. A balance is fixed with a
correcting entry (services.earning.correct), a week closed with services.leagues.close_week."""

import uuid

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from config.admin_tools import ReadOnlyAdmin
from config.errors import DomainError

from . import selectors
from .forms import CorrectionForm
from .models import (
    EarningRule,
    LeagueGroup,
    LeagueMember,
    LeagueWeek,
    Program,
    Redemption,
    ShopItem,
    Streak,
    TokenBalance,
    TokenBoost,
    TokenEntry,
)
from .services import earning, leagues


class NoDeleteAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: entries keep the code of the rule or item that caused them


@admin.register(EarningRule)
class EarningRuleAdmin(NoDeleteAdmin):
    list_display = ["name", "code", "tokens", "per_lesson", "cap", "streak_days", "is_active", "updated_at"]
    list_filter = ["is_active"]
    readonly_fields = ["code"]

    def has_add_permission(self, request):
        return False  # the services know these codes; staff tune their values


@admin.register(TokenBoost)
class TokenBoostAdmin(NoDeleteAdmin):
    list_display = ["tier_code", "multiplier_bps", "updated_at"]
    readonly_fields = ["tier_code"]

    def has_add_permission(self, request):
        return False


@admin.register(Program)
class ProgramAdmin(NoDeleteAdmin):
    list_display = ["__str__", "daily_cap", "updated_at"]

    def has_add_permission(self, request):
        return False


@admin.register(ShopItem)
class ShopItemAdmin(NoDeleteAdmin):
    list_display = [
        "name",
        "kind",
        "price",
        "stock",
        "per_learner_limit",
        "available_from",
        "available_until",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]


@admin.register(TokenBalance)
class TokenBalanceAdmin(ReadOnlyAdmin):
    list_display = ["user", "balance", "owed", "lifetime_earned", "updated_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in TokenBalance._meta.fields]
    actions = ["correct"]

    def get_urls(self):
        return [
            path(
                "<int:pk>/correct/", self.admin_site.admin_view(self.correct_view), name="rewards_tokenbalance_correct"
            ),
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="rewards_dashboard"),
        ] + super().get_urls()

    @admin.action(description="Post a correction…")
    def correct(self, request, queryset):
        balances = list(queryset[:2])
        if len(balances) != 1:
            self.message_user(request, "Select exactly one balance to correct.", messages.ERROR)
            return None
        return redirect("admin:rewards_tokenbalance_correct", balances[0].pk)

    def correct_view(self, request, pk):
        # Who may open this page: accounts/permission_table.py ("rewards.correct_ledger").
        balance = get_object_or_404(TokenBalance.objects.select_related("user"), pk=pk)
        form = CorrectionForm(request.POST or None, initial={"key": uuid.uuid4().hex})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                entry = earning.correct(
                    balance.user,
                    amount=data["amount"],
                    reason=data["reason"],
                    by=request.user,
                    key=f"correction:{data['key']}",
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Correction of {entry.amount:+d} tokens posted for {balance.user}.")
                return redirect("admin:rewards_tokenbalance_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Correct {balance.user}'s tokens",
            "balance": balance,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/rewards/correct.html", context)

    def dashboard_view(self, request):
        weeks = selectors.weekly_token_totals(12)
        peak = max([max(w["issued"], w["spent"]) for w in weeks] + [1])
        for week in weeks:
            week["issued_pct"] = round(100 * week["issued"] / peak)
            week["spent_pct"] = round(100 * week["spent"] / peak)
        context = {
            **self.admin_site.each_context(request),
            "title": "Rewards: tokens per week",
            "weeks": weeks,
            "opts": self.model._meta,
            "balances_url": reverse("admin:rewards_tokenbalance_changelist"),
        }
        return TemplateResponse(request, "admin/rewards/dashboard.html", context)


@admin.register(TokenEntry)
class TokenEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "kind", "amount", "rule_code", "cause", "multiplier_bps", "capped"]
    list_filter = ["kind", "rule_code", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["user__email", "idempotency_key", "cause", "note"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    readonly_fields = [f.name for f in TokenEntry._meta.fields]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "item", "price", "status", "detail"]
    list_filter = ["status", "item"]
    search_fields = ["user__email", "key"]
    list_select_related = ["user", "item"]
    readonly_fields = [f.name for f in Redemption._meta.fields]


@admin.register(Streak)
class StreakAdmin(ReadOnlyAdmin):
    list_display = ["user", "current", "longest", "last_day", "freezes", "league_level"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in Streak._meta.fields]


@admin.register(LeagueWeek)
class LeagueWeekAdmin(admin.ModelAdmin):
    list_display = ["starts_on", "closed_at"]
    readonly_fields = ["starts_on", "closed_at"]
    actions = ["close"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Close the selected weeks (if ended)")
    def close(self, request, queryset):
        closed = sum(leagues.close_week(week) for week in queryset)
        self.message_user(
            request,
            f"{closed} week(s) closed; weeks still running or already closed were left as they were.",
            messages.SUCCESS,
        )


@admin.register(LeagueGroup)
class LeagueGroupAdmin(ReadOnlyAdmin):
    list_display = ["week", "level", "number", "size"]
    list_filter = ["level"]
    list_select_related = ["week"]


@admin.register(LeagueMember)
class LeagueMemberAdmin(ReadOnlyAdmin):
    list_display = ["week", "group", "user", "tokens", "final_rank", "outcome"]
    list_filter = ["outcome"]
    search_fields = ["user__email"]
    list_select_related = ["week", "group__week", "user"]
    readonly_fields = [f.name for f in LeagueMember._meta.fields]
