import logging

from celery import shared_task

logger = logging.getLogger(__name__)

EVENT_MAX_RETRIES = 6


@shared_task(bind=True, max_retries=EVENT_MAX_RETRIES, acks_late=True, reject_on_worker_lost=True)
def process_stripe_event(self, event_pk: int) -> str:
    """Process one stored Stripe event; retried with exponential backoff for a few minutes, then re-driven by
    the beat's redrive_stripe_events for 3 days (billing.webhooks.REDRIVE_FOR)."""
    from .webhooks import process_event

    try:
        return process_event(event_pk).status
    except Exception as exc:  # noqa: BLE001 - any handler failure is retried
        if self.request.is_eager:
            # Eager mode (no broker): not swallowed: logged as an error, and the event's next attempt is set
            # for the re-drive job (and reconciliation, and the console's replay).
            logger.error("Stripe event %s failed: %s", event_pk, exc)
            return "failed"
        raise self.retry(exc=exc, countdown=min(2 ** (self.request.retries + 1), 600))


@shared_task(bind=True, max_retries=5, acks_late=True)
def send_payment_email(self, payment_id: str, kind: str, refund_id: int | None = None) -> None:
    from .emails import send_payment_email as send

    try:
        send(payment_id, kind, refund_id)
    except Exception as exc:
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=30 * (self.request.retries + 1))


@shared_task(bind=True, max_retries=8, acks_late=True)
def auto_refund_payment(self, payment_id: str) -> None:
    """Refund in full a payment that must not be kept (a course paid for twice); retried while Stripe is away."""
    from .services import auto_refund

    try:
        auto_refund(payment_id)
    except Exception as exc:  # noqa: BLE001 - retried; reconciliation completes it after the last retry
        if self.request.is_eager:
            # No broker: the refund stays recorded (pending or to do) and reconciliation completes it.
            logger.error("Automatic refund of payment %s not completed yet: %s", payment_id, exc)
            return
        raise self.retry(exc=exc, countdown=min(60 * 2**self.request.retries, 3600))


@shared_task
def redrive_stripe_events() -> int:
    """Beat: process again every event whose backoff is over or whose worker was lost (for 3 days)."""
    from django.utils import timezone

    from .models import StripeEvent
    from .webhooks import STUCK_AFTER, due_for_redrive

    due = due_for_redrive()
    # Claimed until a worker takes it (which sets its own mark): a busy queue is not fed the same event every minute.
    StripeEvent.objects.filter(pk__in=due).update(next_attempt_at=timezone.now() + STUCK_AFTER)
    for event_pk in due:
        process_stripe_event.delay(event_pk)
    return len(due)


@shared_task
def reconcile_recent_payments(hours: int = 72) -> str:
    from .services import reconcile

    return reconcile(hours=hours).summary()
