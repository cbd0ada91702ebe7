"""Applying Stripe's state to a Payment: success (fulfil once), failure, expiry.

Every state change re-reads the object from Stripe and applies it under the payment's row lock, so
duplicated and out-of-order webhooks, the return from Checkout and the reconciliation task converge on the
same state and each side effect (fulfil, revoke, e-mail) happens once. Stripe is read before the lock
is taken, never while it is held.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from operations.interface import metrics

from .. import gateway, registry
from ..errors import AlreadyOwned, PaymentError
from ..models import Payment
from ._common import expanded, next_receipt_number, stripe_id
from .refunds import recompute_refunded, record_refund, revoke_unrevoked

logger = logging.getLogger(__name__)


def payment_for_session(session: dict) -> Payment | None:
    payment = Payment.objects.filter(stripe_checkout_session_id=session["id"]).first()
    if payment is None:
        payment_id = (session.get("metadata") or {}).get("payment_id") or session.get("client_reference_id")
        if payment_id:
            payment = Payment.objects.filter(pk=payment_id).first()
    return payment


def _refunds_made_in_stripe(session: dict) -> list[dict]:
    """Refunds of the session's charge made before we fulfilled (in Stripe's dashboard, say)."""
    pi = session.get("payment_intent")
    charge = pi.get("latest_charge") if expanded(pi) else None
    if expanded(charge) and (charge.get("amount_refunded") or 0) > 0:
        return list(gateway.list_refunds(payment_intent=stripe_id(pi)))
    return []


def apply_checkout_session(session: dict | str) -> Payment | None:
    """Bring our Payment in line with the Checkout Session's current state (re-read from Stripe)."""
    if isinstance(session, str):
        session = gateway.retrieve_checkout_session(session)
    payment = payment_for_session(session)
    if payment is None:
        logger.info("Checkout session %s is not one of ours; ignored", session.get("id"))
        return None
    if session.get("status") == "complete" and session.get("payment_status") in ("paid", "no_payment_required"):
        refunds = [] if payment.fulfilled_at else _refunds_made_in_stripe(session)
        return mark_succeeded(payment.pk, session, refunds=refunds)
    if session.get("status") == "expired":
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            fields = ["open_checkout_key", "updated_at"]
            locked.open_checkout_key = None
            if locked.status in (Payment.Status.PENDING, Payment.Status.FAILED):
                locked.status = Payment.Status.CANCELED
                if not locked.failure_message:
                    locked.failure_message = "The checkout page expired before the payment was made."
                fields += ["status", "failure_message"]
            locked.save(update_fields=fields)
            return locked
    return payment


def _check_charged(payment: Payment, amount, currency) -> None:
    """Record what Stripe says it charged; a difference from what we expected is flagged and logged."""
    if amount is None or not currency:
        return
    payment.stripe_amount = amount
    payment.stripe_currency = currency.lower()
    mismatch = amount != payment.amount or currency.lower() != payment.currency
    if mismatch and not payment.amount_mismatch:
        logger.error(
            "Payment %s: Stripe charged %s %s, we expected %s %s",
            payment.pk,
            amount,
            currency,
            payment.amount,
            payment.currency,
        )
        metrics.payment_event("amount_mismatch", purpose=payment.purpose, currency=payment.currency, amount=amount)
    payment.amount_mismatch = mismatch


def mark_succeeded(payment_id, session: dict, *, refunds: list[dict] | None = None) -> Payment:
    """Record success and fulfil exactly once, whatever order and however often this is called.

    A purpose that finds the buyer already has what was bought raises AlreadyOwned: the payment is then
    refunded in full (after commit, by a retried task) instead of fulfilled. A payment refunded in full in
    Stripe before we heard of its success is not fulfilled at all."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        pi = session.get("payment_intent")
        invoice = session.get("invoice")
        if payment.status in (Payment.Status.PENDING, Payment.Status.FAILED, Payment.Status.CANCELED):
            now = timezone.now()
            payment.status = Payment.Status.SUCCEEDED
            payment.failure_code = ""
            payment.failure_message = ""
            payment.succeeded_at = now
            payment.receipt_number = payment.receipt_number or next_receipt_number(now)
            payment.stripe_payment_intent_id = stripe_id(pi) or payment.stripe_payment_intent_id
            if expanded(pi):
                payment.stripe_charge_id = stripe_id(pi.get("latest_charge")) or payment.stripe_charge_id
            payment.stripe_subscription_id = stripe_id(session.get("subscription")) or payment.stripe_subscription_id
            payment.stripe_invoice_id = stripe_id(invoice) or payment.stripe_invoice_id
            if expanded(invoice) and not payment.stripe_payment_intent_id:
                payment.stripe_payment_intent_id = invoice_payment_intent(invoice)
            _check_charged(payment, session.get("amount_total"), session.get("currency"))
            metrics.payment_event(
                "succeeded", purpose=payment.purpose, currency=payment.currency, amount=payment.amount
            )
        payment.open_checkout_key = None
        payment.save()
        for data in refunds or []:
            record_refund(payment, data)
        recompute_refunded(payment)  # refunds recorded before the payment was known to have succeeded
        if payment.fulfilled_at is None:
            _fulfil(payment)
        return payment


def _fulfil(payment: Payment) -> None:
    from .. import tasks

    refunded = payment.amount_refunded
    purpose = registry.get_purpose(payment.purpose)
    if purpose is None:
        raise PaymentError(f"No app fulfils “{payment.purpose}” payments.", code="unknown_purpose")
    payment_pk = str(payment.pk)
    if refunded >= payment.amount:
        # Refunded in full before we fulfilled it: nothing to grant, nothing to take back.
        logger.warning("Payment %s was refunded in Stripe before it was fulfilled; not fulfilled", payment.pk)
        revoke_unrevoked(payment, run_purpose=False)
    else:
        try:
            with transaction.atomic():
                purpose.fulfil(payment)
        except AlreadyOwned as exc:
            logger.warning("Payment %s: %s; refunding it in full", payment.pk, exc.message)
            payment.auto_refund_reason = exc.message[:255]
            transaction.on_commit(lambda: tasks.auto_refund_payment.delay(payment_pk))
        else:
            transaction.on_commit(lambda: tasks.send_payment_email.delay(payment_pk, "receipt"))
            revoke_unrevoked(payment)  # a partial refund made in Stripe before we fulfilled
    payment.fulfilled_at = timezone.now()
    payment.save(update_fields=["fulfilled_at", "auto_refund_reason", "updated_at"])


def invoice_payment_intent(invoice: dict) -> str:
    """The dahlia API lists an invoice's payment intents under invoice.payments."""
    direct = stripe_id(invoice.get("payment_intent"))
    if direct:
        return direct
    payments = (invoice.get("payments") or {}).get("data") or []
    for entry in payments:
        pi = (entry.get("payment") or {}).get("payment_intent")
        if pi:
            return stripe_id(pi)
    return ""


def apply_payment_intent(payment_intent: dict | str) -> Payment | None:
    """Record a failed attempt with its reason in plain words (success arrives via the session)."""
    from .. import tasks

    if isinstance(payment_intent, str):
        payment_intent = gateway.retrieve_payment_intent(payment_intent)
    payment_id = (payment_intent.get("metadata") or {}).get("payment_id")
    if not payment_id:
        return None
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None:
            return None
        payment.stripe_payment_intent_id = payment_intent["id"]
        error = payment_intent.get("last_payment_error")
        if (
            payment_intent.get("status") == "requires_payment_method"
            and error
            and payment.status == Payment.Status.PENDING
        ):
            payment.status = Payment.Status.FAILED
            payment.failure_code = (error.get("decline_code") or error.get("code") or "")[:64]
            payment.failure_message = gateway.plain_failure(error.get("code"), error.get("decline_code"))[:255]
            payment.save()
            metrics.payment_event("failed", purpose=payment.purpose, currency=payment.currency, amount=payment.amount)
            purpose = registry.get_purpose(payment.purpose)
            if purpose and purpose.failed:
                purpose.failed(payment)
            payment_pk = str(payment.pk)
            # Later, not now: most learners type another card on the same Checkout page at once, and a paid
            # payment gets no "did not go through" e-mail (the task re-reads the payment before sending).
            transaction.on_commit(
                lambda: tasks.send_payment_email.apply_async(
                    (payment_pk, "failed"), countdown=settings.PAYMENT_FAILED_EMAIL_DELAY
                )
            )
        else:
            payment.save(update_fields=["stripe_payment_intent_id", "updated_at"])
        return payment
