"""Learner pages: pricing, subscribe, manage (change with preview, cancel, resume). Thin: services decide."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.errors import DomainError

from . import access, selectors
from .forms import ConfirmChangeForm, PlanForm
from .models import Interval
from .services import cards, plan_changes, subscribing


def _interval(request) -> str:
    value = request.GET.get("interval", Interval.MONTH)
    return value if value in Interval.values else Interval.MONTH


def pricing(request):
    interval = _interval(request)
    tiers = list(selectors.tiers_with_features())
    features = list(selectors.all_features())
    sub = selectors.live_subscription(request.user)
    current = access.current_tier_code(request.user) if request.user.is_authenticated else None
    rows = []
    for tier in tiers:
        codes = {f.code for f in tier.features.all()}
        rows.append(
            {
                "tier": tier,
                "price": tier.price(interval),
                "features": [(f, f.code in codes) for f in features],
                "current": tier.code == current,
            }
        )
    return render(
        request,
        "subscriptions/pricing.html",
        {"rows": rows, "interval": interval, "subscription": sub, "annual": interval == Interval.YEAR},
    )


@login_required
@require_POST
def subscribe(request):
    form = PlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a plan and a billing interval.")
        return redirect("subscriptions:pricing")
    try:
        start = subscribing.start_subscription(request.user, form.cleaned_data["tier"], form.cleaned_data["interval"])
    except DomainError as exc:
        messages.error(request, exc.message)
        if exc.code == "already_subscribed":
            return redirect("subscriptions:manage")
        return redirect("subscriptions:pricing")
    return redirect(start.url)


@login_required
def manage(request):
    sub = selectors.live_subscription(request.user)
    invoices = selectors.invoices_for(sub) if sub else []
    tiers = list(selectors.tiers_with_features()) if sub else []
    next_tier = (sub.pending_tier or sub.tier) if sub else None
    next_interval = (sub.pending_interval or sub.interval) if sub else None
    return render(
        request,
        "subscriptions/manage.html",
        {
            "subscription": sub,
            "invoices": invoices,
            "tiers": tiers,
            "intervals": Interval.choices,
            "next_amount": next_tier.price(next_interval) if sub else 0,
            "entitlements": selectors.entitlements_for(request.user).filter(revoked_at__isnull=True)[:10],
            "current_tier": access.current_tier(request.user),
        },
    )


@login_required
def change_preview(request):
    form = PlanForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Choose a plan and a billing interval.")
        return redirect("subscriptions:manage")
    try:
        preview = plan_changes.preview_change(request.user, form.cleaned_data["tier"], form.cleaned_data["interval"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("subscriptions:manage")
    return render(request, "subscriptions/change_preview.html", {"preview": preview})


@login_required
@require_POST
def change_confirm(request):
    form = ConfirmChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a plan and a billing interval.")
        return redirect("subscriptions:manage")
    data = form.cleaned_data
    try:
        result = plan_changes.change_plan(
            request.user, data["tier"], data["interval"], proration_date=data.get("proration_date")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("subscriptions:manage")
    messages.success(
        request,
        {
            "upgrade": "Your plan has changed.",
            "downgrade": "Your plan change is scheduled for the end of this period.",
            "cancel_pending_change": "The scheduled change was withdrawn.",
            "cancel": "Your subscription will end at the end of this period.",
        }[result.kind],
    )
    return redirect("subscriptions:manage")


@login_required
@require_POST
def cancel(request):
    try:
        sub = plan_changes.cancel(request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Your subscription ends on {sub.current_period_end:%-d %B %Y}.")
    return redirect("subscriptions:manage")


@login_required
@require_POST
def resume(request):
    try:
        plan_changes.resume(request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your subscription continues.")
    return redirect("subscriptions:manage")


@login_required
@require_POST
def update_card(request):
    try:
        url = cards.start_card_update(request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("subscriptions:manage")
    return redirect(url)


@login_required
def card_updated(request):
    try:
        result = cards.apply_card_update(request.GET.get("session_id", ""), user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("subscriptions:manage")
    if result.retried and not result.paid:
        messages.error(request, result.summary)
    else:
        messages.success(request, result.summary)
    return redirect("subscriptions:manage")
