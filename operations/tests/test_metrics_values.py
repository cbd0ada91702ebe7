"""/metrics exports each named metric with the right values after real payments, refunds and webhook
failures against the Stripe emulator (webhooks delivered to the live server)."""

from datetime import timedelta

import pytest
import time_machine

from billing.models import Payment, StripeEvent
from billing.services import reconcile, refund_payment
from billing.tests.support import CARD_DECLINED, CARD_OK, pay, start_test_checkout
from operations.tests.conftest import value

live = pytest.mark.django_db(transaction=True)


def delta(before: dict, after: dict, name: str, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@live
def test_payments_refunds_and_webhook_failures(stripe_webhooks, test_purpose, user, scrape):
    before = scrape()

    ok = start_test_checkout(user, amount=2500, currency="eur", reference="ok")
    assert pay(ok.url, CARD_OK).ok
    declined = start_test_checkout(user, amount=700, currency="eur", reference="declined")
    assert not pay(declined.url, CARD_DECLINED).ok
    stripe_webhooks.deliver()
    payment = Payment.objects.get(pk=ok.payment.pk)
    assert payment.status == Payment.Status.SUCCEEDED
    assert Payment.objects.get(pk=declined.payment.pk).status == Payment.Status.FAILED

    refund_payment(payment, amount=1000, reason="Customer asked")
    stripe_webhooks.deliver()

    # A handler that crashes leaves its event failed (retried by Celery, then replayable in admin).
    test_purpose.crash_next_fulfil = True
    crashing = start_test_checkout(user, amount=999, currency="usd", reference="crash")
    assert pay(crashing.url).ok
    stripe_webhooks.deliver()
    failed = StripeEvent.objects.get(type="checkout.session.completed", status=StripeEvent.Status.FAILED)

    with time_machine.travel(failed.received_at + timedelta(minutes=12)):
        after = scrape()

    labels = {"purpose": "test", "currency": "eur"}
    assert delta(before, after, "lyceum_payments_total", event="started", **labels) == 2
    assert delta(before, after, "lyceum_payments_amount_minor_units_total", event="started", **labels) == 3200
    assert delta(before, after, "lyceum_payments_total", event="succeeded", **labels) == 1
    assert delta(before, after, "lyceum_payments_amount_minor_units_total", event="succeeded", **labels) == 2500
    assert delta(before, after, "lyceum_payments_total", event="failed", **labels) == 1
    assert delta(before, after, "lyceum_payments_amount_minor_units_total", event="failed", **labels) == 700
    assert delta(before, after, "lyceum_payments_total", event="refunded", **labels) == 1
    assert delta(before, after, "lyceum_payments_amount_minor_units_total", event="refunded", **labels) == 1000
    # The crashed fulfilment rolled back: started, never counted as succeeded.
    usd = {"purpose": "test", "currency": "usd"}
    assert delta(before, after, "lyceum_payments_total", event="started", **usd) == 1
    assert delta(before, after, "lyceum_payments_total", event="succeeded", **usd) == 0

    # Stripe calls by operation, the decline counted as an error of its kind only when Stripe said so.
    assert delta(before, after, "lyceum_stripe_api_calls_total", operation="create_checkout_session") == 3
    assert delta(before, after, "lyceum_stripe_api_calls_total", operation="create_refund") == 1
    assert delta(before, after, "lyceum_stripe_api_duration_seconds_count", operation="create_refund") == 1

    # Webhooks: every delivery accepted; processing outcomes by type; the failed one waits in the backlog.
    assert delta(before, after, "lyceum_stripe_webhooks_received_total", outcome="accepted") == len(
        stripe_webhooks.deliveries()
    )
    processed = "lyceum_stripe_webhook_events_processed_total"
    for status in ("succeeded", "failed"):  # the successful payment's, and the crashed fulfilment's
        assert delta(before, after, processed, type="checkout.session.completed", status=status) == 1
    assert value(after, "lyceum_stripe_webhook_events_unprocessed", status="failed") == 1
    assert value(after, "lyceum_stripe_webhook_events_unprocessed", status="pending") == 0
    assert 12 * 60 <= value(after, "lyceum_stripe_webhook_oldest_unprocessed_age_seconds") < 13 * 60
    assert value(after, "lyceum_metrics_collector_up", collector="billing") == 1


@live
def test_reconciliation_counts_what_it_repaired(stripe_webhooks, test_purpose, user, scrape):
    """A lost webhook: the payment went through at Stripe, the event never arrived; reconcile repairs it."""
    before = scrape()
    start = start_test_checkout(user, amount=1200, reference="lost")
    stripe_webhooks.drop()
    assert pay(start.url).ok
    stripe_webhooks.deliver()
    assert Payment.objects.get(pk=start.payment.pk).status == Payment.Status.PENDING
    report = reconcile(hours=1)
    assert len(report.repaired) == 1
    after = scrape()
    assert delta(before, after, "lyceum_reconciliation_runs_total") == 1
    assert delta(before, after, "lyceum_reconciliation_repairs_total") == 1
    assert delta(before, after, "lyceum_payments_total", event="succeeded", purpose="test", currency="usd") == 1


@pytest.mark.django_db
def test_bad_webhook_deliveries_are_counted_by_outcome(client, scrape):
    import uuid

    before = scrape()
    response = client.post(f"/stripe/webhook/{uuid.uuid4()}/", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert delta(before, scrape(), "lyceum_stripe_webhooks_received_total", outcome="unknown_endpoint") == 1


@pytest.mark.django_db
def test_stripe_errors_are_counted_by_operation_and_kind(emulator, test_purpose, user, scrape):
    from billing.errors import PaymentError

    before = scrape()
    emulator.control.fault("error", 1, status=500, path="/v1/checkout/sessions")
    with pytest.raises(PaymentError):
        start_test_checkout(user)
    after = scrape()
    labels = {"operation": "create_checkout_session"}
    assert delta(before, after, "lyceum_stripe_api_calls_total", **labels) == 1
    assert delta(before, after, "lyceum_stripe_api_errors_total", kind="payment_provider_unavailable", **labels) == 1
    # Nothing was recorded, so nothing was started.
    assert delta(before, after, "lyceum_payments_total", event="started", purpose="test", currency="usd") == 0


@pytest.mark.django_db
def test_login_failures_and_lockouts(client, user, settings, scrape):
    from accounts.tests.factories import solved_captcha

    before = scrape()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/", {"login": user.email, "password": "wrong-password", "captcha": solved_captcha()}
        )
    after = scrape()
    assert delta(before, after, "lyceum_login_failures_total") == settings.AXES_FAILURE_LIMIT
    assert delta(before, after, "lyceum_login_lockouts_total") == 1


@pytest.mark.django_db
def test_celery_tasks_are_counted_by_state(scrape, django_capture_on_commit_callbacks):
    from operations import tasks

    before = scrape()
    tasks.heartbeat.delay()
    after = scrape()
    name = "operations.tasks.heartbeat"
    assert delta(before, after, "lyceum_celery_tasks_total", task=name, state="succeeded") == 1
    assert delta(before, after, "lyceum_celery_task_duration_seconds_count", task=name) == 1
    assert after[("lyceum_celery_heartbeat_timestamp_seconds", ())] > 0


@pytest.mark.django_db
def test_cache_hits_and_misses_are_counted(scrape):
    from django.core.cache import cache, caches

    backend = "redis" if "redis" in caches["default"].__class__.__module__ else "locmem"
    before = scrape()
    cache.set("metrics-test", 0)
    assert cache.get("metrics-test") == 0  # a cached 0 is a hit, and is returned as 0
    assert cache.get("metrics-test-missing", "default") == "default"
    after = scrape()
    assert delta(before, after, "django_cache_get_hits_total", backend=backend) >= 1
    assert delta(before, after, "django_cache_get_misses_total", backend=backend) >= 1
