"""Stripe webhook intake and dispatch.

`receive` verifies the signature with the endpoint secret dj-stripe keeps, then stores the raw delivery
as dj-stripe's WebhookEventTrigger (unsigned posts are never stored), records a StripeEvent once per event id and processes it
in a Celery task after commit, so the HTTP answer is fast. Billing's own handlers run first; then every handler
other apps registered for the type. Handlers re-read objects from Stripe rather than trusting the
event's snapshot, so order does not matter.
"""

import logging
import random
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from operations.interface import metrics

from . import connect, registry, services
from .models import StripeEvent

logger = logging.getLogger(__name__)


# Failed events are processed again with backoff for as long as Stripe itself retries a delivery, then
# given up with an alert (logged at ERROR, counted); one left "processing" by a lost worker, or recorded
# but never queued, is picked up after STUCK_AFTER (longer than any handler may run).
REDRIVE_FOR = timedelta(days=3)
STUCK_AFTER = timedelta(minutes=10)
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, at most 6 hours, with ±10 % jitter so a recovered Stripe is not hit all at once."""
    delay = min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
    return delay * random.uniform(0.9, 1.1)


# Stripe's events are a few KiB; anything near this is not one of them. Checked before the body is read.
MAX_WEBHOOK_BODY_BYTES = 256 * 1024


def receive(request, endpoint_uuid) -> tuple[int, str]:
    """Verify, store and enqueue one delivery. Returns (HTTP status, message).

    Nothing is stored before the signature checks out: an unsigned post costs us no row."""
    import json

    import stripe
    from djstripe.models import WebhookEndpoint, WebhookEventTrigger
    from djstripe.models.webhooks import get_remote_ip

    endpoint = WebhookEndpoint.objects.filter(djstripe_uuid=endpoint_uuid).first()
    if endpoint is None:
        return 404, "unknown webhook endpoint"
    try:
        declared_length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return 400, "invalid Content-Length"
    if declared_length > MAX_WEBHOOK_BODY_BYTES or len(request.body) > MAX_WEBHOOK_BODY_BYTES:
        return 413, "payload too large"
    body = request.body.decode("utf-8", "replace")
    if not endpoint.secret:
        return 400, "invalid signature"
    try:
        stripe.WebhookSignature.verify_header(
            body, request.headers.get("Stripe-Signature", ""), endpoint.secret, endpoint.djstripe_tolerance
        )
    except stripe.SignatureVerificationError:
        return 400, "invalid signature"
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not (isinstance(payload, dict) and isinstance(payload.get("id"), str) and isinstance(payload.get("type"), str)):
        return 400, "not a Stripe event"
    trigger = WebhookEventTrigger.objects.create(
        headers=dict(request.headers),
        body=body,
        remote_ip=get_remote_ip(request),
        webhook_endpoint=endpoint,
        valid=True,
    )
    record_event(payload, trigger_id=trigger.pk)
    return 200, "ok"


def record_event(payload: dict, *, trigger_id: int | None = None) -> StripeEvent | None:
    from . import tasks

    if not payload.get("id") or not payload.get("type"):
        return None
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    try:
        with transaction.atomic():
            event, created = StripeEvent.objects.get_or_create(
                event_id=payload["id"],
                defaults={
                    "type": payload["type"],
                    "livemode": bool(payload.get("livemode")),
                    "object_id": obj.get("id", "") if isinstance(obj, dict) else "",
                    "payload": payload,
                    "trigger_id": trigger_id,
                    "stripe_created": services.stripe_timestamp(payload.get("created")),
                    "next_attempt_at": timezone.now() + STUCK_AFTER,
                },
            )
    except IntegrityError:
        event, created = StripeEvent.objects.get(event_id=payload["id"]), False
    if created or event.status in (StripeEvent.Status.PENDING, StripeEvent.Status.FAILED):
        event_pk = event.pk
        transaction.on_commit(lambda: tasks.process_stripe_event.delay(event_pk))
    return event


def _object_id(payload: dict) -> str:
    return ((payload.get("data") or {}).get("object") or {}).get("id", "")


def _checkout_session(payload: dict) -> None:
    services.apply_checkout_session(_object_id(payload))


def _payment_intent(payload: dict) -> None:
    services.apply_payment_intent(_object_id(payload))


def _charge_refunded(payload: dict) -> None:
    charge = (payload.get("data") or {}).get("object") or {}
    services.apply_charge_refunds(charge)


def _refund(payload: dict) -> None:
    refund = (payload.get("data") or {}).get("object") or {}
    # Re-read every refund of that payment intent: the event may be older than what Stripe knows now.
    services.apply_charge_refunds({"payment_intent": refund.get("payment_intent")})


def _invoice_paid(payload: dict) -> None:
    services.record_invoice_payment(_object_id(payload))


BILLING_HANDLERS = {
    "invoice.paid": _invoice_paid,
    "checkout.session.completed": _checkout_session,
    "checkout.session.async_payment_succeeded": _checkout_session,
    "checkout.session.async_payment_failed": _checkout_session,
    "checkout.session.expired": _checkout_session,
    "payment_intent.payment_failed": _payment_intent,
    "charge.refunded": _charge_refunded,
    "charge.refund.updated": _refund,
    "refund.created": _refund,
    "refund.updated": _refund,
    "account.updated": connect.handle_account_updated,
}

WEBHOOK_EVENTS = sorted(
    set(BILLING_HANDLERS)
    | {
        "payment_intent.succeeded",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
        "invoice.finalized",
        "transfer.created",
        "transfer.reversed",
    }
)


def webhook_events() -> list[str]:
    """What the site's webhook endpoint subscribes to: billing's own events and every app's registered ones."""
    return sorted(set(WEBHOOK_EVENTS) | registry.registered_event_types())


def process_event(event_pk: int) -> StripeEvent:
    """Run every handler for the event. Raises on failure so the task retries; succeeded events are skipped."""
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(pk=event_pk)
        if event.status in (StripeEvent.Status.SUCCEEDED, StripeEvent.Status.IGNORED):
            return event
        event.status = StripeEvent.Status.PROCESSING
        event.attempts += 1
        event.next_attempt_at = timezone.now() + STUCK_AFTER  # re-driven if this worker is lost
        event.save(update_fields=["status", "attempts", "next_attempt_at"])
    handlers = []
    if event.type in BILLING_HANDLERS:
        handlers.append(BILLING_HANDLERS[event.type])
    handlers += registry.event_handlers(event.type)
    try:
        for handler in handlers:
            handler(event.payload)
    except Exception as exc:
        now = timezone.now()
        give_up = event.received_at < now - REDRIVE_FOR
        StripeEvent.objects.filter(pk=event.pk).update(
            status=StripeEvent.Status.FAILED,
            last_error=f"{exc.__class__.__name__}: {exc}"[:4000],
            next_attempt_at=None if give_up else now + backoff(event.attempts),
        )
        metrics.webhook_processed(event.type, StripeEvent.Status.FAILED)
        if give_up:
            logger.error(
                "Stripe event %s (%s) still fails after %s and %d attempts; no more automatic retries: %s",
                event.event_id,
                event.type,
                REDRIVE_FOR,
                event.attempts,
                exc,
            )
        raise
    outcome = StripeEvent.Status.SUCCEEDED if handlers else StripeEvent.Status.IGNORED
    StripeEvent.objects.filter(pk=event.pk).update(
        status=outcome, last_error="", processed_at=timezone.now(), next_attempt_at=None
    )
    metrics.webhook_processed(event.type, outcome)
    _mirror(event)
    event.refresh_from_db()
    return event


def _mirror(event: StripeEvent) -> None:
    """Let dj-stripe mirror the event's objects into its tables. Best effort: our rows are the truth."""
    if not event.trigger_id:
        return
    from djstripe.models import WebhookEventTrigger

    trigger = WebhookEventTrigger.objects.filter(pk=event.trigger_id).first()
    if trigger is None or trigger.processed:
        return
    try:
        with transaction.atomic():
            trigger.process(save=True)
    except Exception as exc:  # noqa: BLE001 - mirroring never blocks processing
        logger.info("dj-stripe could not mirror %s: %s", event.event_id, exc)
        StripeEvent.objects.filter(pk=event.pk).update(mirror_error=f"{exc.__class__.__name__}: {exc}"[:4000])


def due_for_redrive(now=None) -> list[int]:
    """Events to process again now: failed ones whose backoff is over, ones stuck processing or never queued."""
    now = now or timezone.now()
    return list(
        StripeEvent.objects.filter(
            status__in=[StripeEvent.Status.FAILED, StripeEvent.Status.PROCESSING, StripeEvent.Status.PENDING],
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )


def replay_event(event: StripeEvent) -> StripeEvent:
    """Staff replay from the console: reprocess now (handlers are idempotent)."""
    StripeEvent.objects.filter(pk=event.pk).update(status=StripeEvent.Status.PENDING, last_error="")
    return process_event(event.pk)
