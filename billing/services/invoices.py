"""Every invoice Stripe charges is one Payment with a receipt.

A subscription's first invoice is paid through Checkout: its Payment is the Checkout's (matched by the
payment id the subscription's metadata carries). Every later charged invoice (a plan change's proration,
a renewal, a seat change) becomes a Payment of its own here, once: the database allows one Payment per
Stripe invoice. Access is not decided here (the selling app syncs the subscription); this records the money,
so it appears in the payer's payments, the console, the API and the revenue figures, with a receipt.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from operations.interface import metrics

from .. import gateway, registry
from ..models import Customer, Payment
from ._common import next_receipt_number, stripe_id, stripe_timestamp
from .fulfilment import invoice_payment_intent

logger = logging.getLogger(__name__)

REASONS = {
    "subscription_create": "first payment",
    "subscription_cycle": "renewal",
    "subscription_update": "plan change (prorated)",
    "subscription_threshold": "usage",
    "manual": "invoice",
}


def _subscription_details(invoice: dict) -> tuple[str, dict]:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    sub_id = stripe_id(details.get("subscription") or invoice.get("subscription"))
    metadata = dict(details.get("metadata") or invoice.get("subscription_details", {}).get("metadata") or {})
    if sub_id and not metadata:
        metadata = dict(gateway.retrieve_subscription(sub_id).get("metadata") or {})
    return sub_id, metadata


def _checkout_payment(metadata: dict) -> Payment | None:
    payment_id = metadata.get("payment_id")
    if not payment_id:
        return None
    try:
        return Payment.objects.filter(pk=payment_id).select_related("user").first()
    except (ValueError, TypeError):
        return None


def _payer(invoice: dict, checkout_payment: Payment | None):
    customer = Customer.objects.filter(stripe_customer_id=stripe_id(invoice.get("customer"))).select_related("user")
    found = customer.first()
    if found is not None:
        return found.user
    return checkout_payment.user if checkout_payment is not None else None


def record_invoice_payment(invoice: dict | str) -> Payment | None:
    """The Payment for a charged invoice (re-read from Stripe), created once. None when nothing was charged,
    or the invoice is not one of ours."""
    invoice_id = stripe_id(invoice)
    existing = Payment.objects.filter(stripe_invoice_id=invoice_id).first() if invoice_id else None
    if existing is not None:
        return existing
    invoice = gateway.retrieve_invoice(invoice_id)
    if invoice.get("status") != "paid" or not invoice.get("amount_paid"):
        return None
    sub_id, metadata = _subscription_details(invoice)
    checkout_payment = _checkout_payment(metadata)
    if invoice.get("billing_reason") == "subscription_create" and checkout_payment is not None:
        # Paid through Checkout: that payment is this invoice's (its fulfilment records the invoice id).
        return checkout_payment
    user = _payer(invoice, checkout_payment)
    if user is None:
        logger.info("Invoice %s belongs to no customer of ours; no payment recorded", invoice_id)
        return None
    purpose_code = metadata.get("purpose") or (checkout_payment.purpose if checkout_payment else "subscription")
    purpose = registry.get_purpose(purpose_code)
    reason = REASONS.get(invoice.get("billing_reason") or "", "invoice")
    label = checkout_payment.description if checkout_payment else (purpose.label if purpose else "Lyceum")
    lines = ((invoice.get("lines") or {}).get("data")) or []
    currency = (invoice.get("currency") or "usd").lower()
    now = timezone.now()
    paid_at = stripe_timestamp((invoice.get("status_transitions") or {}).get("paid_at")) or now
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                user=user,
                purpose=purpose_code,
                reference=checkout_payment.reference if checkout_payment else metadata.get("reference", ""),
                description=f"{label}: {reason}"[:255],
                line_items=[
                    {
                        "name": (line.get("description") or label)[:255],
                        "amount": line.get("amount", 0),
                        "currency": currency,
                        "quantity": 1,
                        "price": "",
                    }
                    for line in lines
                ],
                amount=invoice["amount_paid"],
                currency=currency,
                mode=Payment.Mode.SUBSCRIPTION,
                status=Payment.Status.SUCCEEDED,
                metadata={"billing_reason": invoice.get("billing_reason") or ""},
                stripe_customer_id=stripe_id(invoice.get("customer")),
                stripe_invoice_id=invoice_id,
                stripe_subscription_id=sub_id,
                stripe_payment_intent_id=invoice_payment_intent(invoice),
                stripe_amount=invoice["amount_paid"],
                stripe_currency=currency,
                receipt_number=next_receipt_number(now),
                succeeded_at=paid_at,
                fulfilled_at=now,  # nothing to hand over: the subscription's own sync keeps access
            )
    except IntegrityError:
        # The same invoice's other event (invoice.paid / invoice.payment_succeeded) recorded it first.
        return Payment.objects.get(stripe_invoice_id=invoice_id)
    from .. import tasks

    metrics.payment_event("succeeded", purpose=payment.purpose, currency=payment.currency, amount=payment.amount)
    transaction.on_commit(lambda: tasks.send_payment_email.delay(str(payment.pk), "receipt"))
    return payment
