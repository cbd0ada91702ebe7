"""Billing's contribution to operations: webhook backlog gauges and the Stripe launch-check items."""

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from operations.interface import GaugeMetricFamily, Verdict, register_gauges, register_launch_check

from .models import StripeEvent

UNPROCESSED = (StripeEvent.Status.PENDING, StripeEvent.Status.PROCESSING, StripeEvent.Status.FAILED)


def webhook_gauges():
    """One query: stored events waiting or failed, and how long the oldest of them has waited."""
    rows = (
        StripeEvent.objects.filter(status__in=UNPROCESSED)
        .values("status")
        .annotate(n=Count("pk"), oldest=Min("received_at"))
        .order_by()
    )
    counts = {status: 0 for status in UNPROCESSED}
    oldest = None
    for row in rows:
        counts[row["status"]] = row["n"]
        oldest = row["oldest"] if oldest is None else min(oldest, row["oldest"])
    events = GaugeMetricFamily(
        "lyceum_stripe_webhook_events_unprocessed",
        "Stored Stripe events not processed yet, by status.",
        labels=["status"],
    )
    for status, n in counts.items():
        events.add_metric([status], n)
    yield events
    yield GaugeMetricFamily(
        "lyceum_stripe_webhook_oldest_unprocessed_age_seconds",
        "How long the oldest pending, processing or failed Stripe event has waited (0 when none).",
        value=(timezone.now() - oldest).total_seconds() if oldest else 0.0,
    )


def stripe_reachable() -> Verdict:
    """Stripe answers with this key, and a live key in live mode (a test key otherwise is a NO-GO at launch)."""
    from . import gateway

    key = settings.STRIPE_SECRET_KEY
    live_key = key.startswith(("sk_live_", "rk_live_"))
    if not settings.STRIPE_LIVE_MODE or not live_key:
        return Verdict(False, "Stripe is in test mode: set STRIPE_LIVE_MODE=true with live keys (sk_live_, pk_live_)")
    if not settings.STRIPE_PUBLISHABLE_KEY.startswith("pk_live_"):
        return Verdict(False, "STRIPE_PUBLISHABLE_KEY is not a live key")
    endpoints = gateway.list_webhook_endpoints()  # any authenticated call proves key and network
    return Verdict(True, f"Stripe answers with the live key ({len(endpoints)} webhook endpoint(s) listed)")


def webhook_endpoint_registered() -> Verdict:
    """An enabled endpoint at this site's address, subscribed to every event the site handles, whose
    signing secret dj-stripe holds (so deliveries verify)."""
    from djstripe.models import WebhookEndpoint

    from . import gateway
    from .webhooks import WEBHOOK_EVENTS

    prefix = f"{settings.SITE_URL}/stripe/webhook/"
    remote = [ep for ep in gateway.list_webhook_endpoints() if str(ep.get("url", "")).startswith(prefix)]
    if not remote:
        return Verdict(False, f"no webhook endpoint at {prefix}: run manage.py setup_stripe_webhook")
    local = {ep.id: ep for ep in WebhookEndpoint.objects.filter(url__startswith=prefix)}
    problems = []
    for endpoint in remote:
        enabled = set(endpoint.get("enabled_events") or [])
        missing = [] if "*" in enabled else sorted(set(WEBHOOK_EVENTS) - enabled)
        if endpoint.get("status", "enabled") != "enabled":
            problems.append(f"{endpoint['id']} is {endpoint.get('status')}")
        elif missing:
            problems.append(f"{endpoint['id']} lacks {', '.join(missing)}")
        elif endpoint["id"] not in local or not local[endpoint["id"]].secret:
            problems.append(f"{endpoint['id']} has no signing secret here (run manage.py setup_stripe_webhook)")
        else:
            return Verdict(True, f"{endpoint['url']} receives all {len(WEBHOOK_EVENTS)} event types the site handles")
    return Verdict(False, "; ".join(problems))


def no_failed_webhook_events() -> Verdict:
    failed = StripeEvent.objects.filter(status=StripeEvent.Status.FAILED)
    count = failed.count()
    if count:
        sample = ", ".join(failed.order_by("received_at").values_list("event_id", flat=True)[:5])
        return Verdict(False, f"{count} Stripe event(s) failed (replay them in admin: Stripe events): {sample}")
    return Verdict(True, "no failed Stripe events")


def register() -> None:
    register_gauges(
        "billing",
        webhook_gauges,
        exports=["lyceum_stripe_webhook_events_unprocessed", "lyceum_stripe_webhook_oldest_unprocessed_age_seconds"],
    )
    register_launch_check("stripe", "Stripe reachable with live keys", stripe_reachable, order=90)
    register_launch_check("stripe_webhook", "Webhook endpoint registered", webhook_endpoint_registered, order=91)
    register_launch_check("failed_webhooks", "No failed webhook events", no_failed_webhook_events, order=92)
