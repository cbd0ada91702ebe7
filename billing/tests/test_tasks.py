import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from billing import tasks
from billing.models import Payment, StripeEvent
from billing.tests.support import pay, start_test_checkout
from billing.webhooks import process_event

from .factories import StripeEventFactory, SucceededPaymentFactory

pytestmark = pytest.mark.django_db


def test_event_task_is_acked_late_and_requeued_when_the_worker_is_lost():
    task = tasks.process_stripe_event
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.max_retries == tasks.EVENT_MAX_RETRIES


def test_reconciliation_runs_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["reconcile-payments"]
    assert entry["task"] == tasks.reconcile_recent_payments.name


def test_a_failing_event_task_leaves_the_event_failed_with_its_error(emulator):
    event = StripeEventFactory(
        type="checkout.session.completed",
        payload={"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {"id": "cs_test_missing"}}},
    )
    assert tasks.process_stripe_event.delay(event.pk).get() == "failed"
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.FAILED
    assert "No such checkout.session" in event.last_error or "refused" in event.last_error
    assert event.attempts == 1


def test_an_event_nobody_handles_is_ignored_and_processed_events_are_skipped(emulator):
    event = StripeEventFactory(type="customer.created")
    assert tasks.process_stripe_event.delay(event.pk).get() == "ignored"
    assert process_event(event.pk).attempts == 1  # skipped, not re-run


def test_payment_emails_are_html_and_text(user):
    payment = SucceededPaymentFactory(user=user)
    tasks.send_payment_email.delay(str(payment.pk), "receipt")
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert payment.receipt_number in message.subject
    assert payment.receipt_number in message.body
    assert message.alternatives[0][1] == "text/html"
    assert payment.receipt_number in message.alternatives[0][0]


def test_an_erased_account_gets_no_payment_email(user):
    payment = SucceededPaymentFactory(user=user)
    user.is_active = False
    user.save()
    tasks.send_payment_email.delay(str(payment.pk), "receipt")
    assert mail.outbox == []


# A real worker killed mid-task -------------------------------------------------------------


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_fulfilment_is_redelivered_and_fulfils_once(emulator, test_purpose, user, tmp_path):
    """kill -9 the pool process while it is inside fulfil: the task is requeued (acks_late +
    reject_on_worker_lost), the half-done transaction was never committed, and the redelivery fulfils once."""
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL:
        pytest.skip("needs PostgreSQL (shared with the worker) and a Redis broker (REDIS_URL)")
    from celery import current_app

    start = start_test_checkout(user)
    assert pay(start.url).ok
    remote = emulator.stripe_client().events.list(params={"type": "checkout.session.completed"}).data[0]
    event = StripeEvent.objects.create(
        event_id=remote.id,
        type=remote.type,
        object_id=start.payment.stripe_checkout_session_id,
        payload=remote.to_dict(),
    )

    db = settings.DATABASES["default"]  # the test database, which the worker must share
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    queue = f"billing-test-{uuid.uuid4().hex[:8]}"
    (tmp_path / "hang").touch()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "billing.tests.worker_settings",
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "STRIPE_API_BASE": emulator.url,
        "BILLING_WORKER_DIR": str(tmp_path),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    previous_eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    try:
        tasks.process_stripe_event.apply_async(args=[event.pk], queue=queue)
        child = int(
            _wait_for(
                lambda: (tmp_path / "started").exists() and (tmp_path / "started").read_text(),
                90,
                "the worker to start fulfilling",
            )
        )
        (tmp_path / "hang").unlink()
        os.kill(child, signal.SIGKILL)

        def succeeded():
            # The handler commits the payment first and the event's status just after, so wait for both.
            return (
                Payment.objects.filter(pk=start.payment.pk, status=Payment.Status.SUCCEEDED).exists()
                and StripeEvent.objects.filter(pk=event.pk, status=StripeEvent.Status.SUCCEEDED).exists()
            )

        _wait_for(succeeded, 60, "the redelivered task to succeed")
        event.refresh_from_db()
        assert event.status == StripeEvent.Status.SUCCEEDED
        assert event.attempts == 2  # the killed attempt, then the redelivery
        fulfilled = _wait_for(
            lambda: (tmp_path / "fulfilled").exists() and (tmp_path / "fulfilled").read_text(), 10, "the fulfil record"
        )
        assert fulfilled.splitlines() == [str(start.payment.pk)]
        assert "WorkerLostError" in (tmp_path / "worker.log").read_text()
    except AssertionError:
        log.flush()
        print(Path(tmp_path / "worker.log").read_text()[-4000:])
        raise
    finally:
        current_app.conf.task_always_eager = previous_eager
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
        log.close()
