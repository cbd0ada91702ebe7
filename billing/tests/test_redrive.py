"""Issue 13 #4 and #16: failed and stuck webhook events are processed again on a schedule, for 3 days."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from billing import tasks
from billing.models import Payment, StripeEvent
from billing.tests.support import pay, start_test_checkout
from billing.webhooks import REDRIVE_FOR

STRIPE_DOWN = {"status": 503, "path": "/v1/"}  # every API call answered 503 (the count is "for the outage")


def _beat_at(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return tasks.redrive_stripe_events()


@pytest.mark.django_db(transaction=True)
def test_a_webhook_failing_through_ten_minutes_of_stripe_outage_is_processed_once_stripe_is_back(
    stripe_webhooks, test_purpose, user
):
    start = start_test_checkout(user)
    assert pay(start.url).ok
    stripe_webhooks.control.fault("error", 100_000, **STRIPE_DOWN)  # Stripe goes down before the webhook is handled
    outage_began = timezone.now()
    stripe_webhooks.deliver()  # delivered, answered 200, processed at once (eager): re-reading the session fails
    event = StripeEvent.objects.get(type="checkout.session.completed")
    assert event.status == StripeEvent.Status.FAILED and event.next_attempt_at is not None
    assert Payment.objects.get(pk=start.payment.pk).status != Payment.Status.SUCCEEDED

    for minute in range(1, 11):  # the beat job, once a minute, through 10 minutes of outage
        _beat_at(outage_began + timedelta(minutes=minute))
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.FAILED
    # Tried again after about 1, 2 and 4 minutes (±10 %), not every minute: 3 or 4 attempts in all.
    assert 3 <= event.attempts <= 4

    stripe_webhooks.control.clear_faults()  # Stripe is back; nobody presses replay
    minute = 10
    while event.status != StripeEvent.Status.SUCCEEDED and minute < 40:
        minute += 1
        _beat_at(outage_began + timedelta(minutes=minute))
        event.refresh_from_db()
    assert event.status == StripeEvent.Status.SUCCEEDED and event.next_attempt_at is None
    assert minute <= 20  # within the backoff reached (8 minutes, ±10 %) of Stripe's return
    payment = Payment.objects.get(pk=start.payment.pk)
    assert payment.status == Payment.Status.SUCCEEDED
    assert test_purpose.fulfilments(payment) == 1
    assert _beat_at(outage_began + timedelta(hours=1)) == 0  # nothing left to re-drive


@pytest.mark.django_db
def test_without_a_broker_a_failed_event_is_logged_as_an_error_and_scheduled(
    emulator, test_purpose, user, caplog, django_capture_on_commit_callbacks
):
    from billing.webhooks import record_event

    start = start_test_checkout(user)
    assert pay(start.url).ok
    emulator.control.fault("error", 100, **STRIPE_DOWN)
    payload = {
        "id": "evt_eager_failure",
        "type": "checkout.session.completed",
        "data": {"object": {"id": start.payment.stripe_checkout_session_id}},
    }
    with caplog.at_level(logging.ERROR, logger="billing.tasks"):
        with django_capture_on_commit_callbacks(execute=True):
            record_event(payload)
    event = StripeEvent.objects.get(event_id="evt_eager_failure")
    assert event.status == StripeEvent.Status.FAILED and event.attempts == 1
    assert timezone.now() < event.next_attempt_at <= timezone.now() + timedelta(minutes=2)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        f"Stripe event {event.pk} failed: {event.last_error.split(': ', 1)[1]}"
    ]


@pytest.mark.django_db
def test_an_event_left_processing_by_a_lost_worker_is_redriven(emulator, test_purpose, user):
    start = start_test_checkout(user)
    assert pay(start.url).ok
    payload = {
        "id": "evt_lost",
        "type": "checkout.session.completed",
        "data": {"object": {"id": start.payment.stripe_checkout_session_id}},
    }
    now = timezone.now()
    event = StripeEvent.objects.create(
        event_id="evt_lost",
        type=payload["type"],
        payload=payload,
        status=StripeEvent.Status.PROCESSING,
        attempts=1,
        next_attempt_at=now + timedelta(minutes=10),
    )
    assert _beat_at(now + timedelta(minutes=9)) == 0  # it may still be running
    assert _beat_at(now + timedelta(minutes=11)) == 1
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.SUCCEEDED and event.attempts == 2 and event.next_attempt_at is None
    assert test_purpose.calls == [("fulfil", start.payment.pk)]


@pytest.mark.django_db
def test_an_event_recorded_but_never_queued_is_redriven(emulator, user):
    event = StripeEvent.objects.create(
        event_id="evt_never_queued",
        type="customer.created",
        payload={"id": "evt_never_queued", "type": "customer.created", "data": {"object": {"id": "cus_x"}}},
        next_attempt_at=timezone.now() + timedelta(minutes=10),
    )
    assert _beat_at(timezone.now() + timedelta(minutes=11)) == 1
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.IGNORED and event.next_attempt_at is None


@pytest.mark.django_db
def test_after_three_days_an_event_is_given_up_with_an_error(emulator, caplog):
    event = StripeEvent.objects.create(
        event_id="evt_old",
        type="checkout.session.completed",
        payload={"id": "evt_old", "type": "checkout.session.completed", "data": {"object": {"id": "cs_test_gone"}}},
        status=StripeEvent.Status.FAILED,
        attempts=20,
        next_attempt_at=timezone.now(),
    )
    StripeEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - REDRIVE_FOR - timedelta(minutes=1))
    with caplog.at_level(logging.ERROR, logger="billing.webhooks"):
        assert tasks.redrive_stripe_events() == 1  # Stripe no longer knows the session: it fails again
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.FAILED and event.attempts == 21 and event.next_attempt_at is None
    assert any(r.levelno == logging.ERROR and "no more automatic retries" in r.getMessage() for r in caplog.records)
    assert _beat_at(timezone.now() + timedelta(days=1)) == 0  # left to the backlog alert and the console's replay


def test_the_redrive_job_runs_every_minute_on_the_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["redrive-stripe-events"]
    assert entry["task"] == tasks.redrive_stripe_events.name
    assert entry["schedule"] <= 60
