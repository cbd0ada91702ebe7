"""Subscriptions' contribution to operations: subscriptions by tier and status, and MRR (scrape time)."""

from django.db.models import Case, Count, F, IntegerField, Sum, When

from operations.interface import GaugeMetricFamily, register_gauges

from .models import Interval, Subscription


def subscription_gauges():
    """Two queries whatever the number of subscriptions."""
    by_state = GaugeMetricFamily("lyceum_subscriptions", "Subscriptions by tier and status.", labels=["tier", "status"])
    rows = Subscription.objects.values_list("tier__code", "status").annotate(n=Count("pk")).order_by()
    for tier, status, n in rows:
        by_state.add_metric([tier, status], n)
    yield by_state
    # Monthly recurring revenue of active subscriptions: an annual price counts a twelfth (rounded down per
    # subscription, as Subscription.monthly_value does).
    monthly = Case(
        When(interval=Interval.YEAR, then=F("tier__annual_price") / 12),
        default=F("tier__monthly_price"),
        output_field=IntegerField(),
    )
    mrr = GaugeMetricFamily(
        "lyceum_mrr_minor_units",
        "Monthly recurring revenue of active subscriptions, in minor units.",
        labels=["currency"],
    )
    rows = (
        Subscription.objects.filter(status=Subscription.Status.ACTIVE)
        .values_list("tier__currency")
        .annotate(total=Sum(monthly))
        .order_by()
    )
    for currency, total in rows:
        mrr.add_metric([currency], total or 0)
    yield mrr


def register() -> None:
    register_gauges("subscriptions", subscription_gauges, exports=["lyceum_subscriptions", "lyceum_mrr_minor_units"])
