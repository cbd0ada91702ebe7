import logging

from celery import shared_task

logger = logging.getLogger(__name__)

EVENT_MAX_RETRIES = 6


@shared_task(bind=True, max_retries=EVENT_MAX_RETRIES, acks_late=True, reject_on_worker_lost=True)
def process_stripe_event(self, event_pk: int) -> str:
    """Process one stored Stripe event; retried with exponential backoff, then left failed in admin."""
    from .webhooks import process_event

    try:
        return process_event(event_pk).status
    except Exception as exc:  # noqa: BLE001 - any handler failure is retried
        if self.request.is_eager:
            # Eager mode (no broker): the failure stays recorded on the event and visible in admin;
            # the reconciliation task and the admin replay action pick it up.
            logger.warning("Stripe event %s failed: %s", event_pk, exc)
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
def reconcile_recent_payments(hours: int = 72) -> str:
    from .services import reconcile

    return reconcile(hours=hours).summary()
