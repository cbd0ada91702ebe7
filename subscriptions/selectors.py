"""Reads for pages, the API and the console; each a fixed number of queries."""

import logging

from django.db.models import Prefetch, QuerySet

from billing import interface as billing
from config.errors import DomainError

from .models import Entitlement, Feature, Subscription, Tier

logger = logging.getLogger(__name__)


def tiers_with_features() -> QuerySet[Tier]:
    return Tier.objects.filter(is_active=True).prefetch_related(
        Prefetch("features", queryset=Feature.objects.order_by("name"))
    )


def all_features() -> QuerySet[Feature]:
    return Feature.objects.order_by("name")


def get_tier(code: str) -> Tier | None:
    return Tier.objects.filter(code=code, is_active=True).first() if isinstance(code, str) else None


def tier_for_price(price_id: str) -> tuple[Tier | None, str]:
    if not price_id:
        return None, ""
    for tier in Tier.objects.all():
        if tier.stripe_monthly_price_id == price_id:
            return tier, "month"
        if tier.stripe_annual_price_id == price_id:
            return tier, "year"
    return None, ""


def live_subscription(user) -> Subscription | None:
    """The user's active or past-due subscription (at most one, by constraint)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Subscription.objects.filter(user=user, status__in=Subscription.LIVE_STATUSES)
        .select_related("tier", "pending_tier")
        .first()
    )


def entitlements_for(user) -> QuerySet[Entitlement]:
    return Entitlement.objects.filter(user=user).select_related("tier", "granted_by", "subscription")


def dashboard(now=None) -> dict:
    """Finance figures: MRR, active subscribers by tier, new / churned / past due this month."""
    from django.db.models import Count, Q
    from django.utils import timezone

    now = now or timezone.now()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    live = Subscription.objects.filter(status__in=Subscription.LIVE_STATUSES).select_related("tier")
    mrr: dict[str, int] = {}
    for sub in live:
        mrr[sub.tier.currency] = mrr.get(sub.tier.currency, 0) + sub.monthly_value
    by_tier = list(
        Tier.objects.exclude(code=Tier.FREE)
        .annotate(active=Count("subscriptions", filter=Q(subscriptions__status__in=Subscription.LIVE_STATUSES)))
        .order_by("order")
    )
    return {
        "mrr": mrr,
        "by_tier": by_tier,
        "new": Subscription.objects.filter(created_at__gte=month_start).exclude(status="incomplete").count(),
        "churned": Subscription.objects.filter(status="canceled", ended_at__gte=month_start).count(),
        "past_due": Subscription.objects.filter(status="past_due").count(),
        "month_start": month_start,
    }


def invoices_for(sub: Subscription) -> list[dict]:
    """The subscription's invoices from Stripe, newest first (for payment history)."""
    try:
        return billing.list_invoices(customer=sub.stripe_customer_id, subscription=sub.stripe_subscription_id)
    except DomainError as exc:
        logger.warning("Could not list invoices for %s: %s", sub.stripe_subscription_id, exc)
        return []


def new_subscription_count(since) -> int:
    """Subscriptions started since a moment (the console home's "New subscriptions today")."""
    return Subscription.objects.filter(created_at__gte=since).exclude(status=Subscription.Status.INCOMPLETE).count()
