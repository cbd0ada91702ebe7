"""Gauges computed at scrape time: right values, a fixed number of queries whatever the data, and a
broken collector leaves the others standing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import VerifiedUserFactory
from billing.tests.factories import StripeEventFactory
from marketplace.models import Payout
from operations.interface import register_gauges
from operations.registry import _gauges
from operations.tests.conftest import value
from subscriptions.models import Subscription, Tier

pytestmark = pytest.mark.django_db


def _tiers():
    silver = Tier.objects.create(code="silver", name="Silver", order=41, monthly_price=1000, annual_price=10_001)
    gold = Tier.objects.create(
        code="gold", name="Gold", order=42, monthly_price=3000, annual_price=30_000, currency="eur"
    )
    return silver, gold


def _subscribe(tier, interval, status, n=1):
    for _ in range(n):
        user = VerifiedUserFactory()
        Subscription.objects.create(
            user=user, tier=tier, interval=interval, status=status, stripe_subscription_id=f"sub_{user.pk}_{tier.code}"
        )


def _payouts(status, n):
    for _ in range(n):
        Payout.objects.create(
            instructor=VerifiedUserFactory(), amount=5000, currency="usd", status=status, stripe_account_id="acct_1"
        )


def _fill(scale: int):
    silver, gold = (
        _tiers()
        if not Tier.objects.filter(code="silver").exists()
        else (Tier.objects.get(code="silver"), Tier.objects.get(code="gold"))
    )
    _subscribe(silver, "month", Subscription.Status.ACTIVE, 2 * scale)
    _subscribe(silver, "year", Subscription.Status.ACTIVE, scale)
    _subscribe(silver, "month", Subscription.Status.PAST_DUE, scale)
    _subscribe(gold, "year", Subscription.Status.ACTIVE, scale)
    _subscribe(gold, "month", Subscription.Status.CANCELED, scale)
    _payouts(Payout.Status.FAILED, scale)
    _payouts(Payout.Status.CANCELED, scale)
    for status in ("pending", "failed", "succeeded"):
        StripeEventFactory.create_batch(scale, status=status)


def test_subscriptions_mrr_payouts_and_webhooks(scrape):
    _fill(1)
    samples = scrape()
    assert value(samples, "lyceum_subscriptions", tier="silver", status="active") == 3
    assert value(samples, "lyceum_subscriptions", tier="silver", status="past_due") == 1
    assert value(samples, "lyceum_subscriptions", tier="gold", status="active") == 1
    assert value(samples, "lyceum_subscriptions", tier="gold", status="canceled") == 1
    # Active only: two monthly silver (2 x 1000) and one annual silver (10001 // 12 = 833); gold in euros.
    assert value(samples, "lyceum_mrr_minor_units", currency="usd") == 2 * 1000 + 833
    assert value(samples, "lyceum_mrr_minor_units", currency="eur") == 30_000 // 12
    assert value(samples, "lyceum_payouts_open", status="failed") == 1
    assert value(samples, "lyceum_payouts_open", status="pending") == 0
    assert value(samples, "lyceum_stripe_webhook_events_unprocessed", status="pending") == 1
    assert value(samples, "lyceum_stripe_webhook_events_unprocessed", status="failed") == 1
    assert value(samples, "lyceum_readiness", check="database") == 1
    assert value(samples, "lyceum_build_info", environment="development", release="dev") == 1


def test_licence_seats_in_use(scrape):
    from django.utils import timezone

    from licensing.tests.factories import LicenceFactory

    LicenceFactory(seats=10, seats_in_use=4)
    LicenceFactory(seats=5, seats_in_use=5, status="suspended", suspended_at=timezone.now())
    LicenceFactory(seats=50, seats_in_use=0, status="expired")  # not live: not counted
    samples = scrape()
    assert value(samples, "lyceum_licence_seats", state="bought") == 15
    assert value(samples, "lyceum_licence_seats", state="in_use") == 9
    assert value(samples, "lyceum_licences_live") == 2


def _scrape_queries(client, settings):
    from operations.tests.conftest import METRICS_TOKEN

    settings.METRICS_BEARER_TOKEN = METRICS_TOKEN
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200
    return len(queries)


def test_a_scrape_runs_a_fixed_number_of_queries_whatever_the_data(client, settings):
    _fill(1)
    small = _scrape_queries(client, settings)
    _fill(4)
    large = _scrape_queries(client, settings)
    # readiness (SELECT 1), webhooks (1), subscriptions (2), payouts (1), licence seats (1), reward tokens (1)
    assert small == large == 7


def test_a_failing_collector_is_reported_and_the_others_still_export(scrape):
    def broken():
        raise RuntimeError("database on fire")
        yield  # pragma: no cover

    register_gauges("broken", broken, exports=[])
    try:
        samples = scrape()
    finally:
        _gauges.pop("broken")
    assert value(samples, "lyceum_metrics_collector_up", collector="broken") == 0
    assert value(samples, "lyceum_metrics_collector_up", collector="billing") == 1
    assert ("lyceum_stripe_webhook_oldest_unprocessed_age_seconds", ()) in samples


def test_requests_are_measured_by_django_prometheus_but_scrapes_are_not(client, scrape):
    before = scrape()
    assert client.get("/healthz").status_code == 200
    after = scrape()
    key = ("django_http_requests_latency_seconds_by_view_method_count", (("method", "GET"), ("view", "healthz")))
    assert after.get(key, 0) - before.get(key, 0) == 1
    status = ("django_http_responses_total_by_status_total", (("status", "200"),))
    assert after.get(status, 0) - before.get(status, 0) == 1  # the scrape itself is not counted
    assert any(name == "django_db_execute_total" for name, _ in after)
