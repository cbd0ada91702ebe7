"""Billing's writes, by concern: customers, checkout, fulfilment, invoices, refunds, reconciliation.

Every state change re-reads the object from Stripe and applies it under a row lock, so duplicated and
out-of-order webhooks, the return from Checkout and the reconciliation task all converge on the same state
and each side effect (fulfil, revoke, e-mail) happens once. Stripe is never called inside a transaction
that holds row locks: record the intent, call Stripe with a key derived from it, apply the answer.
"""

from ._common import stripe_timestamp
from .checkout import (
    CheckoutItem,
    CheckoutStart,
    Return,
    payment_status_url,
    retry_payment,
    returned_from_checkout,
    start_checkout,
)
from .customers import get_or_create_customer
from .fulfilment import apply_checkout_session, apply_payment_intent, mark_succeeded
from .invoices import record_invoice_payment
from .reconciliation import ReconciliationReport, reconcile
from .refunds import (
    apply_charge_refunds,
    apply_refund,
    auto_refund,
    refund_payment,
    send_refund,
    settle_pending_refunds,
)

__all__ = [
    "CheckoutItem",
    "CheckoutStart",
    "ReconciliationReport",
    "Return",
    "apply_charge_refunds",
    "apply_checkout_session",
    "apply_payment_intent",
    "apply_refund",
    "auto_refund",
    "get_or_create_customer",
    "mark_succeeded",
    "payment_status_url",
    "reconcile",
    "record_invoice_payment",
    "refund_payment",
    "retry_payment",
    "returned_from_checkout",
    "send_refund",
    "settle_pending_refunds",
    "start_checkout",
    "stripe_timestamp",
]
