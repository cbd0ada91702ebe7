"""Starting a payment: one Stripe Checkout Session per Payment, and one open checkout per buyer and thing.

A buyer who clicks "Buy" in two tabs, or an integrator who starts two purchases with different
Idempotency-Keys, must not be able to pay twice. `start_checkout` keeps one open checkout per buyer, purpose
and scope (the thing bought): a second start resumes the open one when it sells the same thing at the same
price, and otherwise expires it in Stripe before opening a new one. The uniqueness is the database's
(`Payment.open_checkout_key`), so concurrent starts cannot both open one; Stripe is never called inside a
transaction.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from config.errors import ConflictError, DomainError
from operations.interface import metrics

from .. import gateway, registry
from ..errors import PaymentError
from ..models import Payment
from ..money import MoneyError, check_amount, check_currency
from .customers import get_or_create_customer
from .fulfilment import apply_checkout_session

logger = logging.getLogger(__name__)

# A payment row whose Checkout Session was never created (the request died between the two) stops
# blocking a new checkout after this long.
UNOPENED_CHECKOUT_TIMEOUT = timedelta(minutes=2)


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
    resumed: bool = False  # an open checkout for the same thing, not a new one


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


def open_checkout_key(user, purpose: str, scope: str) -> str | None:
    return f"{user.pk}:{purpose}:{scope}"[:255] if scope else None


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
    one_open: str | None = None,
    discount=None,
) -> CheckoutStart:
    """Create a Payment and a Stripe Checkout Session for it; return where to send the buyer.

    One checkout is open at a time per buyer, purpose and `one_open` scope (by default the reference): an
    open one selling the same items is resumed, a different one (another price or plan) is expired in
    Stripe and replaced. `customer_id` bills another Stripe customer than the buyer's own (an organisation's).
    If Stripe does not accept the session, no payment is left behind. `discount` (a billing.discounts.Discount,
    payment mode only) applies its promotion code: the Payment's amount is what the session will charge, read
    back from Stripe; an open checkout without that code is replaced.
    """
    if registry.get_purpose(purpose) is None:
        raise PaymentError(f"Nothing is sold under “{purpose}”.", code="unknown_purpose")
    if mode not in Payment.Mode.values:
        raise PaymentError("Mode must be payment or subscription.", code="invalid_mode")
    total, currency = _validate_items(items, mode)
    if discount is not None and mode != Payment.Mode.PAYMENT:
        raise PaymentError("Discount codes apply to one-off payments only.", code="invalid_discount")
    metadata = dict(metadata or {})
    if discount is not None:
        metadata["promotion_code"] = discount.code
    stripe_customer_id = customer_id or get_or_create_customer(user).stripe_customer_id
    line_items = [
        {
            "name": i.name,
            "amount": i.amount,
            "currency": i.currency.lower(),
            "quantity": i.quantity,
            "price": i.price_id,
        }
        for i in items
    ]
    key = open_checkout_key(user, purpose, reference if one_open is None else one_open)
    for _attempt in range(3):
        if key:
            current = Payment.objects.filter(open_checkout_key=key).first()
            if current is not None:
                resumed = _resume_or_close(
                    current, line_items, stripe_customer_id, mode, metadata.get("promotion_code")
                )
                if resumed is not None:
                    return resumed
        payment = Payment(
            user=user,
            purpose=purpose,
            reference=reference,
            description=description[:255],
            line_items=line_items,
            amount=total,
            currency=currency,
            mode=mode,
            metadata=metadata,
            stripe_customer_id=stripe_customer_id,
            open_checkout_key=key,
        )
        try:
            with transaction.atomic():
                payment.save(force_insert=True)
            break
        except IntegrityError:
            continue  # another request opened one this instant: resume or replace that one
    else:
        raise ConflictError(
            "A checkout for this is being opened in another window. Try again in a moment.",
            code="checkout_in_progress",
        )
    params = _session_params(payment)
    if discount is not None:
        params["discounts"] = [{"promotion_code": discount.promotion_code_id}]
    try:
        session = gateway.create_checkout_session(payment_id=payment.pk, **params)
    except DomainError:
        payment.delete()  # nothing was handed to the buyer: leave no misleading row
        raise
    payment.stripe_checkout_session_id = session["id"]
    payment.checkout_url = session["url"]
    if discount is not None and session.get("amount_total") is not None:
        payment.amount = session["amount_total"]  # what Stripe will charge after the code
    Payment.objects.filter(pk=payment.pk).update(
        stripe_checkout_session_id=session["id"],
        checkout_url=session["url"],
        amount=payment.amount,
        updated_at=timezone.now(),
    )
    metrics.payment_event("started", purpose=payment.purpose, currency=payment.currency, amount=payment.amount)
    return CheckoutStart(payment=payment, url=session["url"])


def _already_paid() -> PaymentError:
    return PaymentError(
        "You have already paid for this. It is yours; the receipt is on its way.", code="already_paid", status_code=409
    )


def _resume_or_close(
    current: Payment, line_items: list, customer: str, mode: str, promotion_code: str | None = None
) -> CheckoutStart | None:
    """The open checkout if it sells the same thing; otherwise close it (in Stripe first) and return None."""
    if not current.stripe_checkout_session_id:
        if timezone.now() - current.created_at < UNOPENED_CHECKOUT_TIMEOUT:
            raise ConflictError(
                "A checkout for this is being opened in another window. Try again in a moment.",
                code="checkout_in_progress",
            )
        # The request that created it died before Stripe answered: no page was ever handed out.
        Payment.objects.filter(pk=current.pk, stripe_checkout_session_id__isnull=True).update(
            open_checkout_key=None,
            status=Payment.Status.CANCELED,
            failure_message="The checkout page was never opened.",
            updated_at=timezone.now(),
        )
        return None
    session = gateway.retrieve_checkout_session(current.stripe_checkout_session_id)
    if session.get("status") == "open":
        same = (
            current.line_items == line_items
            and current.stripe_customer_id == customer
            and current.mode == mode
            and (current.metadata or {}).get("promotion_code") == promotion_code
        )
        if same and session.get("url"):
            return CheckoutStart(payment=current, url=session["url"], resumed=True)
        try:
            session = gateway.expire_checkout_session(session["id"])
        except DomainError:
            # Paid (or expired) between our read and the expiry: go by what Stripe says now.
            session = gateway.retrieve_checkout_session(current.stripe_checkout_session_id)
        logger.info("Checkout %s of payment %s replaced by a new one", session.get("id"), current.pk)
    if session.get("status") == "complete":
        apply_checkout_session(session)
        raise _already_paid()
    if session.get("status") != "expired":
        raise ConflictError("Your previous checkout could not be closed. Try again in a moment.", code="checkout_open")
    apply_checkout_session(session)  # records the expiry and frees the open-checkout key
    return None


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
            return CheckoutStart(payment=payment, url=session["url"], resumed=True)
        if session.get("status") == "complete":
            apply_checkout_session(session)
            raise PaymentError("This payment has already been made.", code="already_paid")
        apply_checkout_session(session)
    items = [
        CheckoutItem(
            name=i["name"], amount=i["amount"], currency=i["currency"], quantity=i["quantity"], price_id=i["price"]
        )
        for i in payment.line_items
    ]
    scope = (payment.open_checkout_key or "").split(":", 2)[2] if payment.open_checkout_key else None
    return start_checkout(
        payment.user,
        payment.purpose,
        items,
        description=payment.description,
        reference=payment.reference,
        mode=payment.mode,
        metadata=payment.metadata,
        customer_id=payment.stripe_customer_id,
        one_open=scope,
    )


@dataclass
class Return:
    payment: Payment
    processing: bool  # show "processing" (not yet confirmed), not an earlier attempt's failure


def returned_from_checkout(payment: Payment, session_id: str) -> Return:
    """Where Checkout sends the buyer back: re-read the session now rather than wait for its webhook.

    An earlier declined card may have marked the payment failed; the session knows whether a retry paid.
    Until Stripe confirms, or whenever confirming here fails for any reason, the page shows "processing"
    and the webhook (which retries) fulfils: the payer never sees an error for our fulfilment's problem."""
    returned = bool(session_id) and session_id == payment.stripe_checkout_session_id
    if returned and not payment.is_paid:
        try:
            payment = apply_checkout_session(session_id) or payment
        except DomainError as exc:
            logger.info("Could not confirm payment %s on return (%s); the webhook will", payment.pk, exc)
        except Exception:  # noqa: BLE001 - the payer sees the status page; the webhook path retries and alerts
            logger.exception("Fulfilling payment %s on return failed; left to the webhook", payment.pk)
        payment = Payment.objects.get(pk=payment.pk)
    processing = payment.status == Payment.Status.PENDING or (returned and payment.status == Payment.Status.FAILED)
    return Return(payment=payment, processing=processing)
