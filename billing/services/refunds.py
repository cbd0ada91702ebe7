"""Refunds: ours (staff, API, policy, automatic) and ones made in Stripe, each revoked exactly once.

A refund is recorded before Stripe is asked (status pending, its id is the idempotency key), Stripe is called
outside any transaction, then the answer is applied under the payment's lock. A refund whose call timed out
or met a Stripe outage is *unknown*, not failed: it stays pending and is sent again with the same key
(`settle_pending_refunds`), so it can never be made twice.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from config.errors import DomainError
from operations.interface import metrics

from .. import gateway, registry
from ..errors import PaymentProviderUnavailable, RefundError
from ..models import Payment, Refund
from ._common import stripe_id

logger = logging.getLogger(__name__)

UNCONFIRMED = "Not confirmed by the payment provider yet; it is sent again with the same key."
# A pending refund older than this whose Stripe call never answered is sent again (same key).
PENDING_REFUND_RETRY_AFTER = timedelta(minutes=2)


def refund_payment(
    payment: Payment, *, amount: int | None, reason: str, requested_by=None, source=Refund.Source.STAFF
) -> Refund:
    """Refund all or part of a payment through Stripe; the purpose's revoke handler runs once."""
    reason = (reason or "").strip()
    if not reason:
        raise RefundError("Give a reason for the refund.", code="reason_required", fields={"reason": ["Required."]})
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if not locked.is_paid:
            raise RefundError("Only a payment that went through can be refunded.", code="not_refundable")
        pending = locked.refunds.filter(status=Refund.Status.PENDING).aggregate(s=Sum("amount"))["s"] or 0
        available = locked.amount - locked.amount_refunded - pending
        # A refund whose call failed without an answer (marked so by send_refund), not one still in flight.
        unconfirmed = (
            locked.refunds.filter(status=Refund.Status.PENDING, stripe_refund_id__isnull=True)
            .exclude(failure_message="")
            .first()
        )
        if unconfirmed is not None and amount in (None, unconfirmed.amount):
            retry = unconfirmed  # asked again after a timeout: send the same refund, with the same key
        else:
            retry = None
        if retry is None and available <= 0:
            if pending:
                raise RefundError(
                    "A refund of this payment is still being confirmed by the payment provider.",
                    code="refund_pending",
                )
            raise RefundError("This payment has already been refunded in full.", code="already_refunded")
        if retry is not None:
            amount = retry.amount
        elif amount is None:
            amount = available
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise RefundError("The refund amount must be a positive whole number of cents.", code="invalid_amount")
        if retry is None and amount > available:
            raise RefundError(
                f"At most {available} {locked.currency.upper()} minor units can still be refunded.",
                code="amount_too_large",
                fields={"amount": [f"At most {available}."]},
            )
        if not locked.stripe_payment_intent_id:
            raise RefundError("This payment has no Stripe charge to refund.", code="not_refundable")
        refund = retry or Refund.objects.create(
            payment=locked, amount=amount, reason=reason, requested_by=requested_by, source=source
        )
    return send_refund(refund)


def send_refund(refund: Refund) -> Refund:
    """Ask Stripe to make the refund (again: the key is the refund's id), then apply its answer."""
    payment = refund.payment
    try:
        data = gateway.create_refund(
            refund_id=refund.pk,
            payment_intent=payment.stripe_payment_intent_id,
            amount=refund.amount,
            reason=refund.reason,
        )
    except PaymentProviderUnavailable as exc:
        # Stripe may or may not have made it: unknown until Stripe says. Kept pending, sent again with this key.
        logger.warning("Refund %s of payment %s unconfirmed (%s); it will be sent again", refund.pk, payment.pk, exc)
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            failure_message=UNCONFIRMED, updated_at=timezone.now()
        )
        raise PaymentProviderUnavailable(
            "The payment provider did not confirm the refund in time. It is recorded and will be completed "
            "automatically; do not refund again.",
            code="refund_unconfirmed",
        ) from exc
    except DomainError as exc:  # Stripe refused it: it was not made
        message = exc.message
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.FAILED, failure_message=message[:255], updated_at=timezone.now()
        )
        raise
    return apply_refund(data) or refund


def settle_pending_refunds(now=None) -> int:
    """Beat and reconciliation: send every unconfirmed refund again with its own key. Returns how many settled."""
    now = now or timezone.now()
    settled = 0
    stale = Refund.objects.filter(
        status=Refund.Status.PENDING, stripe_refund_id__isnull=True, updated_at__lt=now - PENDING_REFUND_RETRY_AFTER
    ).select_related("payment")
    for refund in stale:
        try:
            send_refund(refund)
            settled += 1
        except PaymentProviderUnavailable:
            continue
        except Exception:  # noqa: BLE001 - one refund's refusal must not stop the others; it is recorded failed
            logger.exception("Refund %s could not be completed", refund.pk)
    return settled


def auto_refund(payment_id) -> Refund | None:
    """Give back a payment that must not be kept (a course bought twice), in full, once."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or not payment.auto_refund_reason or not payment.is_paid:
        return None
    pending = payment.refunds.filter(status=Refund.Status.PENDING, source=Refund.Source.POLICY).first()
    if pending is not None:
        return send_refund(pending)
    if payment.refundable_amount <= 0:
        return None
    return refund_payment(payment, amount=None, reason=payment.auto_refund_reason, source=Refund.Source.POLICY)


def _payment_for_refund(data: dict) -> Payment | None:
    """Our payment for a Stripe refund: by its PaymentIntent, or (before our fulfilment recorded that) by the
    payment id the PaymentIntent's metadata carries."""
    pi = data.get("payment_intent")
    pi_id = stripe_id(pi)
    if not pi_id:
        return None
    payment = Payment.objects.filter(stripe_payment_intent_id=pi_id).first()
    if payment is not None:
        return payment
    intent = pi if isinstance(pi, dict) and pi.get("metadata") is not None else gateway.retrieve_payment_intent(pi_id)
    payment_id = (intent.get("metadata") or {}).get("payment_id")
    if not payment_id:
        return None
    try:
        return Payment.objects.filter(pk=payment_id).first()
    except ValueError:  # not a UUID: not ours
        return None


def apply_refund(data: dict) -> Refund | None:
    """Record a Stripe refund (ours or made in Stripe) and run the revoke handler once for it."""
    payment = _payment_for_refund(data)
    if payment is None:
        return None
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if not locked.stripe_payment_intent_id:
            locked.stripe_payment_intent_id = stripe_id(data.get("payment_intent"))
            locked.save(update_fields=["stripe_payment_intent_id", "updated_at"])
        refund = record_refund(locked, data)
        if locked.fulfilled_at is not None:
            revoke_unrevoked(locked)
        # Not fulfilled yet: the fulfilment sees this refund and grants only what was not refunded.
        refund.refresh_from_db()
        return refund


def record_refund(payment: Payment, data: dict) -> Refund:
    """Our Refund row for Stripe's refund, brought to Stripe's status; the payment's refunded total recomputed.
    Call under the payment's row lock."""
    our_id = (data.get("metadata") or {}).get("lyceum_refund_id")
    refund = Refund.objects.select_for_update().filter(stripe_refund_id=data["id"]).first()
    if refund is None and our_id and str(our_id).isdigit():
        refund = Refund.objects.select_for_update().filter(pk=our_id, payment=payment).first()
    if refund is None:
        refund = Refund(
            payment=payment,
            amount=data["amount"],
            reason=data.get("reason") or "Refunded in Stripe",
            source=Refund.Source.STRIPE,
        )
    refund.stripe_refund_id = data["id"]
    status = data.get("status")
    if status in ("failed", "canceled"):
        refund.status = Refund.Status.FAILED
        refund.failure_message = (data.get("failure_reason") or "The refund failed at the payment provider.")[:255]
    elif status == "succeeded":
        refund.status = Refund.Status.SUCCEEDED
        refund.failure_message = ""
    refund.save()
    recompute_refunded(payment)
    return refund


def revoke_unrevoked(payment: Payment, *, run_purpose: bool = True) -> None:
    """Run the purpose's revoke once for every succeeded refund not yet revoked (under the payment's lock)."""
    from .. import tasks

    for refund in payment.refunds.select_for_update().filter(status=Refund.Status.SUCCEEDED, revoked_at__isnull=True):
        if run_purpose:
            purpose = registry.get_purpose(payment.purpose)
            if purpose is not None:
                purpose.revoke(payment, refund)
        refund.revoked_at = timezone.now()
        refund.save(update_fields=["revoked_at", "updated_at"])
        metrics.payment_event("refunded", purpose=payment.purpose, currency=payment.currency, amount=refund.amount)
        payment_pk, refund_pk = str(payment.pk), refund.pk
        transaction.on_commit(lambda p=payment_pk, r=refund_pk: tasks.send_payment_email.delay(p, "refund", r))


def recompute_refunded(payment: Payment) -> None:
    """amount_refunded is the sum of succeeded refunds: recomputed, never incremented, so replays are harmless."""
    total = payment.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(s=Sum("amount"))["s"] or 0
    payment.amount_refunded = min(total, payment.amount)
    if payment.is_paid:
        if payment.amount_refunded == 0:
            payment.status = Payment.Status.SUCCEEDED
        elif payment.amount_refunded >= payment.amount:
            payment.status = Payment.Status.REFUNDED
        else:
            payment.status = Payment.Status.PARTIALLY_REFUNDED
    payment.save(update_fields=["amount_refunded", "status", "updated_at"])


def apply_charge_refunds(charge: dict) -> list[Refund]:
    """A charge.refunded event: re-read every refund of the payment intent from Stripe."""
    pi_id = stripe_id(charge.get("payment_intent"))
    if not pi_id:
        return []
    return [r for r in (apply_refund(data) for data in gateway.list_refunds(payment_intent=pi_id)) if r]
