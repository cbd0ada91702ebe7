"""Billing workflows: customers, checkout, fulfilment, refunds, reconciliation.

Every state change re-reads the object from Stripe and applies it under a row lock, so duplicated
and out-of-order webhooks, the return from Checkout and the reconciliation task all converge on the
same state and each side effect (fulfil, revoke, e-mail) happens once.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from config.errors import DomainError
from operations.interface import metrics

from . import gateway, registry
from .errors import PaymentError, RefundError
from .models import Customer, Payment, ReceiptSequence, Refund
from .money import MoneyError, check_amount, check_currency

logger = logging.getLogger(__name__)
User = get_user_model()


# Customers ---------------------------------------------------------------------------------


def get_or_create_customer(user) -> Customer:
    """The user's Stripe Customer, created once even when several requests race for it."""
    existing = Customer.objects.filter(user=user).first()
    if existing:
        return existing
    with transaction.atomic():
        # Lock the user row: concurrent first purchases queue here, and the loser finds the winner's row.
        User.objects.select_for_update().get(pk=user.pk)
        existing = Customer.objects.filter(user=user).first()
        if existing:
            return existing
        # The idempotency key (from the user id) makes even a retried create return the same customer.
        data = gateway.create_customer(user_id=user.pk, email=user.email, name=user.name)
        return Customer.objects.create(user=user, stripe_customer_id=data["id"])


# Checkout ----------------------------------------------------------------------------------


@dataclass
class CheckoutItem:
    name: str
    amount: int  # minor units, per unit
    currency: str
    quantity: int = 1
    price_id: str = ""  # a Stripe Price (required in subscription mode)


@dataclass
class CheckoutStart:
    payment: Payment
    url: str


def _validate_items(items: list[CheckoutItem], mode: str) -> tuple[int, str]:
    if not items:
        raise PaymentError("Nothing to pay for.", code="empty_checkout")
    currencies = set()
    total = 0
    for item in items:
        try:
            check_amount(item.amount)
            currencies.add(check_currency(item.currency))
        except MoneyError as exc:
            raise PaymentError(str(exc), code="invalid_amount") from exc
        if not isinstance(item.quantity, int) or item.quantity < 1:
            raise PaymentError("Quantities are whole numbers of at least 1.", code="invalid_quantity")
        if mode == Payment.Mode.SUBSCRIPTION and not item.price_id:
            raise PaymentError("A subscription needs a Stripe price for each item.", code="invalid_item")
        total += item.amount * item.quantity
    if len(currencies) != 1:
        raise PaymentError("All items in one payment must use the same currency.", code="mixed_currency")
    return total, currencies.pop()


def payment_status_url(payment: Payment) -> str:
    return settings.SITE_URL + reverse("billing:payment_status", args=[payment.pk])


def start_checkout(
    user,
    purpose: str,
    items: list[CheckoutItem],
    *,
    description: str,
    reference: str = "",
    mode: str = Payment.Mode.PAYMENT,
    metadata: dict[str, str] | None = None,
    customer_id: str = "",
) -> CheckoutStart:
    """Create a Payment and a Stripe Checkout Session for it; return where to send the buyer.

    Nothing is recorded unless Stripe accepted the session, so an outage leaves no misleading row.
    `customer_id` bills another Stripe customer than the buyer's own (an organisation's).
    """
    if registry.get_purpose(purpose) is None:
        raise PaymentError(f"Nothing is sold under “{purpose}”.", code="unknown_purpose")
    if mode not in Payment.Mode.values:
        raise PaymentError("Mode must be payment or subscription.", code="invalid_mode")
    total, currency = _validate_items(items, mode)
    stripe_customer_id = customer_id or get_or_create_customer(user).stripe_customer_id
    payment = Payment(
        user=user,
        purpose=purpose,
        reference=reference,
        description=description[:255],
        line_items=[
            {
                "name": i.name,
                "amount": i.amount,
                "currency": i.currency.lower(),
                "quantity": i.quantity,
                "price": i.price_id,
            }
            for i in items
        ],
        amount=total,
        currency=currency,
        mode=mode,
        metadata=dict(metadata or {}),
        stripe_customer_id=stripe_customer_id,
    )
    session = gateway.create_checkout_session(payment_id=payment.pk, **_session_params(payment))
    payment.stripe_checkout_session_id = session["id"]
    payment.checkout_url = session["url"]
    payment.save(force_insert=True)
    metrics.payment_event("started", purpose=payment.purpose, currency=payment.currency, amount=payment.amount)
    return CheckoutStart(payment=payment, url=session["url"])


def _session_params(payment: Payment) -> dict[str, Any]:
    base_meta = {"payment_id": str(payment.pk), "purpose": payment.purpose, "reference": payment.reference}
    base_meta.update({k: str(v) for k, v in payment.metadata.items()})
    status_url = payment_status_url(payment)
    params: dict[str, Any] = {
        "mode": payment.mode,
        "customer": payment.stripe_customer_id,
        "client_reference_id": str(payment.pk),
        "success_url": status_url + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": status_url + "?canceled=1",
        "metadata": base_meta,
    }
    if payment.mode == Payment.Mode.SUBSCRIPTION:
        params["line_items"] = [{"price": i["price"], "quantity": i["quantity"]} for i in payment.line_items]
        params["subscription_data"] = {"metadata": base_meta}
    else:
        params["line_items"] = [
            {
                "price_data": {
                    "currency": i["currency"],
                    "unit_amount": i["amount"],
                    "product_data": {"name": i["name"][:250]},
                },
                "quantity": i["quantity"],
            }
            for i in payment.line_items
        ]
        params["payment_intent_data"] = {"metadata": base_meta, "description": payment.description}
    return params


def retry_payment(payment: Payment) -> CheckoutStart:
    """Send the buyer back to pay: the same Checkout page while it is open, a fresh one otherwise."""
    if payment.is_paid:
        raise PaymentError("This payment has already been made.", code="already_paid")
    if payment.stripe_checkout_session_id:
        session = gateway.retrieve_checkout_session(payment.stripe_checkout_session_id)
        if session.get("status") == "open":
            return CheckoutStart(payment=payment, url=session["url"])
        if session.get("status") == "complete":
            apply_checkout_session(session)
            raise PaymentError("This payment has already been made.", code="already_paid")
    items = [
        CheckoutItem(
            name=i["name"], amount=i["amount"], currency=i["currency"], quantity=i["quantity"], price_id=i["price"]
        )
        for i in payment.line_items
    ]
    return start_checkout(
        payment.user,
        payment.purpose,
        items,
        description=payment.description,
        reference=payment.reference,
        mode=payment.mode,
        metadata=payment.metadata,
        customer_id=payment.stripe_customer_id,
    )


# Applying Stripe's state -------------------------------------------------------------------


def _id(value) -> str:
    if not value:
        return ""
    return value if isinstance(value, str) else value.get("id", "")


def _expanded(value) -> bool:
    """An expanded Stripe object (a StripeObject is not a dict in stripe-python 15), not an id or None."""
    return bool(value) and not isinstance(value, str)


def _next_receipt_number(now: datetime) -> str:
    ReceiptSequence.objects.get_or_create(year=now.year)
    seq = ReceiptSequence.objects.select_for_update().get(year=now.year)
    seq.last_number += 1
    seq.save(update_fields=["last_number"])
    return f"LYC-{now.year}-{seq.last_number:06d}"


def _payment_for_session(session: dict) -> Payment | None:
    payment = Payment.objects.filter(stripe_checkout_session_id=session["id"]).first()
    if payment is None:
        payment_id = (session.get("metadata") or {}).get("payment_id") or session.get("client_reference_id")
        if payment_id:
            payment = Payment.objects.filter(pk=payment_id).first()
    return payment


def apply_checkout_session(session: dict | str) -> Payment | None:
    """Bring our Payment in line with the Checkout Session's current state (re-read from Stripe)."""
    if isinstance(session, str):
        session = gateway.retrieve_checkout_session(session)
    payment = _payment_for_session(session)
    if payment is None:
        logger.info("Checkout session %s is not one of ours; ignored", session.get("id"))
        return None
    if session.get("status") == "complete" and session.get("payment_status") in ("paid", "no_payment_required"):
        return mark_succeeded(payment.pk, session)
    if session.get("status") == "expired":
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.status in (Payment.Status.PENDING, Payment.Status.FAILED):
                locked.status = Payment.Status.CANCELED
                if not locked.failure_message:
                    locked.failure_message = "The checkout page expired before the payment was made."
                locked.save(update_fields=["status", "failure_message", "updated_at"])
            return locked
    return payment


@dataclass
class Return:
    payment: Payment
    processing: bool  # show "processing" (not yet confirmed), not an earlier attempt's failure


def returned_from_checkout(payment: Payment, session_id: str) -> Return:
    """Where Checkout sends the buyer back: re-read the session now rather than wait for its webhook.

    An earlier declined card may have marked the payment failed; the session knows whether a retry
    paid. Until Stripe confirms (or while it is unreachable) the page shows "processing"."""
    returned = bool(session_id) and session_id == payment.stripe_checkout_session_id
    if returned and not payment.is_paid:
        try:
            payment = apply_checkout_session(session_id) or payment
        except DomainError:
            logger.info("Stripe unreachable while confirming payment %s on return; the webhook will", payment.pk)
    processing = payment.status == Payment.Status.PENDING or (returned and payment.status == Payment.Status.FAILED)
    return Return(payment=payment, processing=processing)


def mark_succeeded(payment_id, session: dict) -> Payment:
    """Record success and fulfil exactly once, whatever order and however often this is called."""
    from . import tasks

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
            payment.receipt_number = payment.receipt_number or _next_receipt_number(now)
            payment.stripe_payment_intent_id = _id(pi) or payment.stripe_payment_intent_id
            if _expanded(pi):
                payment.stripe_charge_id = _id(pi.get("latest_charge")) or payment.stripe_charge_id
            payment.stripe_subscription_id = _id(session.get("subscription")) or payment.stripe_subscription_id
            payment.stripe_invoice_id = _id(invoice) or payment.stripe_invoice_id
            if _expanded(invoice) and not payment.stripe_payment_intent_id:
                payment.stripe_payment_intent_id = _invoice_payment_intent(invoice)
            payment.save()
            metrics.payment_event(
                "succeeded", purpose=payment.purpose, currency=payment.currency, amount=payment.amount
            )
        if payment.fulfilled_at is None:
            purpose = registry.get_purpose(payment.purpose)
            if purpose is None:
                raise PaymentError(f"No app fulfils “{payment.purpose}” payments.", code="unknown_purpose")
            purpose.fulfil(payment)
            payment.fulfilled_at = timezone.now()
            payment.save(update_fields=["fulfilled_at", "updated_at"])
            transaction.on_commit(lambda: tasks.send_payment_email.delay(str(payment.pk), "receipt"))
        return payment


def _invoice_payment_intent(invoice: dict) -> str:
    """The dahlia API lists an invoice's payment intents under invoice.payments."""
    direct = _id(invoice.get("payment_intent"))
    if direct:
        return direct
    payments = (invoice.get("payments") or {}).get("data") or []
    for entry in payments:
        pi = (entry.get("payment") or {}).get("payment_intent")
        if pi:
            return _id(pi)
    return ""


def apply_payment_intent(payment_intent: dict | str) -> Payment | None:
    """Record a failed attempt with its reason in plain words (success arrives via the session)."""
    from . import tasks

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
            # Later, not now: most learners type another card on the same Checkout page at once, and a paid
            # payment gets no "did not go through" e-mail (the task re-reads the payment before sending).
            transaction.on_commit(
                lambda: tasks.send_payment_email.apply_async(
                    (str(payment.pk), "failed"), countdown=settings.PAYMENT_FAILED_EMAIL_DELAY
                )
            )
        else:
            payment.save(update_fields=["stripe_payment_intent_id", "updated_at"])
        return payment


# Refunds -----------------------------------------------------------------------------------


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
        if available <= 0:
            raise RefundError("This payment has already been refunded in full.", code="already_refunded")
        if amount is None:
            amount = available
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise RefundError("The refund amount must be a positive whole number of cents.", code="invalid_amount")
        if amount > available:
            raise RefundError(
                f"At most {available} {locked.currency.upper()} minor units can still be refunded.",
                code="amount_too_large",
                fields={"amount": [f"At most {available}."]},
            )
        if not locked.stripe_payment_intent_id:
            raise RefundError("This payment has no Stripe charge to refund.", code="not_refundable")
        refund = Refund.objects.create(
            payment=locked, amount=amount, reason=reason, requested_by=requested_by, source=source
        )
    try:
        data = gateway.create_refund(
            refund_id=refund.pk, payment_intent=locked.stripe_payment_intent_id, amount=amount, reason=reason
        )
    except PaymentError as exc:
        Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED, failure_message=exc.message[:255])
        raise
    return apply_refund(data) or refund


def apply_refund(data: dict) -> Refund | None:
    """Record a Stripe refund (ours or made in Stripe) and run the revoke handler once for it."""
    from . import tasks

    pi_id = _id(data.get("payment_intent"))
    our_id = (data.get("metadata") or {}).get("lyceum_refund_id")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(stripe_payment_intent_id=pi_id).first() if pi_id else None
        if payment is None:
            return None
        refund = Refund.objects.select_for_update().filter(stripe_refund_id=data["id"]).first()
        if refund is None and our_id:
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
        refund.save()
        _recompute_refunded(payment)
        if refund.status == Refund.Status.SUCCEEDED and refund.revoked_at is None:
            purpose = registry.get_purpose(payment.purpose)
            if purpose is not None:
                purpose.revoke(payment, refund)
            refund.revoked_at = timezone.now()
            refund.save(update_fields=["revoked_at", "updated_at"])
            metrics.payment_event("refunded", purpose=payment.purpose, currency=payment.currency, amount=refund.amount)
            refund_pk = refund.pk
            transaction.on_commit(lambda: tasks.send_payment_email.delay(str(payment.pk), "refund", refund_pk))
        return refund


def _recompute_refunded(payment: Payment) -> None:
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
    pi_id = _id(charge.get("payment_intent"))
    if not pi_id:
        return []
    return [r for r in (apply_refund(data) for data in gateway.list_refunds(payment_intent=pi_id)) if r]


# Reconciliation ----------------------------------------------------------------------------


@dataclass
class ReconciliationReport:
    checked_sessions: int = 0
    checked_payment_intents: int = 0
    checked_refunds: int = 0
    repaired: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"Checked {self.checked_sessions} checkout sessions, {self.checked_payment_intents} payment intents, "
            f"{self.checked_refunds} refunds; repaired {len(self.repaired)}."
        ]
        lines += [f"  - {line}" for line in self.repaired]
        return "\n".join(lines)


def reconcile(*, hours: int = 72) -> ReconciliationReport:
    """Repair what lost webhooks left behind, by listing recent objects from Stripe."""
    report = ReconciliationReport()
    since = int(time.time()) - hours * 3600
    for session in gateway.list_checkout_sessions(created_after=since):
        report.checked_sessions += 1
        payment = _payment_for_session(session)
        if payment is None:
            continue
        before = (payment.status, payment.fulfilled_at)
        if session.get("status") in ("complete", "expired"):
            full = gateway.retrieve_checkout_session(session["id"])
            after = apply_checkout_session(full)
            if after is not None and (after.status, after.fulfilled_at) != before:
                report.repaired.append(f"payment {payment.pk}: {before[0]} → {after.status}")
    for pi in gateway.list_payment_intents(created_after=since):
        report.checked_payment_intents += 1
        if pi.get("status") == "requires_payment_method" and pi.get("last_payment_error"):
            payment_id = (pi.get("metadata") or {}).get("payment_id")
            before = (
                Payment.objects.filter(pk=payment_id).values_list("status", flat=True).first() if payment_id else None
            )
            after = apply_payment_intent(pi)
            if after is not None and after.status != before:
                report.repaired.append(f"payment {after.pk}: {before} → {after.status}")
    for data in gateway.list_refunds(created_after=since):
        report.checked_refunds += 1
        known = Refund.objects.filter(
            stripe_refund_id=data["id"], status=Refund.Status.SUCCEEDED, revoked_at__isnull=False
        ).exists()
        if not known and data.get("status") == "succeeded":
            refund = apply_refund(data)
            if refund is not None:
                report.repaired.append(f"refund {data['id']} recorded for payment {refund.payment_id}")
    metrics.reconciliation_finished(len(report.repaired))
    if report.repaired:
        logger.warning("Reconciliation repaired %d record(s):\n%s", len(report.repaired), report.summary())
    return report


def stripe_timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


__all__ = [
    "CheckoutItem",
    "CheckoutStart",
    "apply_charge_refunds",
    "apply_checkout_session",
    "apply_payment_intent",
    "apply_refund",
    "get_or_create_customer",
    "reconcile",
    "refund_payment",
    "retry_payment",
    "start_checkout",
]
