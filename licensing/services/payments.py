"""Paying for a licence through Stripe, and bringing the licence in line with what Stripe says.

Card: hosted Checkout in subscription mode, the seats as the quantity (billing sells it under the
"licence" purpose). Invoice: a subscription with collection_method=send_invoice, net 30, whose invoice
Stripe hosts. Either way the price is the accepted quote version's unit amount for one term, so Stripe's
invoice total is exactly the quote's total.

`sync_licence` is the one place Stripe's state becomes ours: every webhook, the return from Checkout and the
overdue check end there. It re-reads the subscription, then applies it under the licence's row lock, so
duplicated and shuffled events converge and nothing happens twice.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from billing.interface import (
    CheckoutItem,
    Payment,
    create_business_customer,
    create_price,
    create_product,
    create_subscription,
    finalize_invoice,
    retrieve_checkout_session,
    retrieve_invoice,
    retrieve_subscription,
    send_invoice,
    start_checkout,
)

from ..models import Licence, Organisation, PaymentMethod, QuoteVersion
from . import keys, renewals, seats
from ._common import ConflictError, logger, record, send_email

PURPOSE = "licence"
DAYS_UNTIL_DUE = 30


def _ts(value) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _id(value) -> str:
    if not value:
        return ""
    return value if isinstance(value, str) else value.get("id", "")


# Stripe objects for a licence -------------------------------------------------------------------------


def ensure_customer(org: Organisation) -> str:
    """The organisation's Stripe customer. Created outside any lock with a key from our id, so a retry or a
    concurrent request gets the same customer."""
    if org.stripe_customer_id:
        return org.stripe_customer_id
    data = create_business_customer(
        key=f"organisation-{org.pk}",
        email=org.billing_email,
        name=org.name,
        metadata={"organisation": org.slug, "tax_id": org.tax_id},
    )
    Organisation.objects.filter(pk=org.pk, stripe_customer_id__isnull=True).update(stripe_customer_id=data["id"])
    org.refresh_from_db(fields=["stripe_customer_id"])
    return org.stripe_customer_id


def ensure_price(version: QuoteVersion) -> str:
    """A Stripe price for the version: its unit amount per seat, recurring once per term."""
    if version.stripe_price_id:
        return version.stripe_price_id
    quote = version.quote
    product = create_product(
        key=f"quote-version-{version.pk}",
        name=f"Lyceum Enterprise licence, {version.term_months} months ({quote.company})",
        metadata={"quote": quote.reference, "version": str(version.number)},
    )
    price = create_price(
        key=f"quote-version-{version.pk}-{version.unit_amount}-{version.currency}",
        product=product["id"],
        unit_amount=version.unit_amount,
        currency=version.currency,
        recurring={"interval": "month", "interval_count": version.term_months},
        metadata={"quote": quote.reference, "version": str(version.number)},
    )
    QuoteVersion.objects.filter(pk=version.pk, stripe_price_id="").update(
        stripe_product_id=product["id"], stripe_price_id=price["id"]
    )
    version.refresh_from_db(fields=["stripe_product_id", "stripe_price_id"])
    return version.stripe_price_id


def _metadata(licence: Licence) -> dict[str, str]:
    return {"purpose": PURPOSE, "licence": str(licence.pk), "organisation": licence.organisation.slug}


@dataclass
class PaymentStart:
    licence: Licence
    redirect_url: str  # Checkout (card), or the hosted invoice page (invoice)


def start_payment(licence: Licence, user) -> PaymentStart:
    """Take the buyer to pay: Checkout for card, the invoice (created and sent once) for invoice."""
    licence = Licence.objects.select_related("organisation", "quote_version__quote").get(pk=licence.pk)
    if licence.status != Licence.Status.PENDING_PAYMENT and licence.payment_method == PaymentMethod.CARD:
        raise ConflictError("This licence is already paid.", code="already_paid")
    customer = ensure_customer(licence.organisation)
    price_id = ensure_price(licence.quote_version)
    Licence.objects.filter(pk=licence.pk).update(stripe_customer_id=customer, stripe_price_id=price_id)
    if licence.payment_method == PaymentMethod.CARD:
        return PaymentStart(licence, _checkout(licence, user, customer, price_id))
    return PaymentStart(licence, _invoice(licence, customer, price_id))


def _checkout(licence: Licence, user, customer: str, price_id: str) -> str:
    """One Checkout at a time: an open one is reused (two paid sessions would be two subscriptions)."""
    if licence.checkout_payment_id:
        previous = Payment.objects.filter(pk=licence.checkout_payment_id).first()
        if previous is not None and previous.stripe_checkout_session_id:
            session = retrieve_checkout_session(previous.stripe_checkout_session_id)
            if session.get("status") == "open":
                return session["url"]
            if session.get("status") == "complete":
                raise ConflictError("This licence is paid; it becomes active in a moment.", code="already_paid")
    version = licence.quote_version
    start = start_checkout(
        user,
        PURPOSE,
        [
            CheckoutItem(
                name=f"Lyceum Enterprise licence, {version.term_months} months",
                amount=licence.unit_amount,
                currency=licence.currency,
                quantity=licence.seats,
                price_id=price_id,
            )
        ],
        description=f"Lyceum Enterprise: {licence.seats} seats for {licence.organisation.name}",
        reference=f"licence:{licence.pk}",
        mode="subscription",
        metadata=_metadata(licence),
        customer_id=customer,
    )
    Licence.objects.filter(pk=licence.pk).update(checkout_payment_id=start.payment.pk)
    return start.url


def _invoice(licence: Licence, customer: str, price_id: str) -> str:
    if licence.stripe_subscription_id:  # created before (a retry after Stripe was unreachable, a second click)
        synced = sync_licence(licence.stripe_subscription_id)
        return synced.hosted_invoice_url if synced else ""
    subscription = create_subscription(
        key=f"licence-{licence.pk}",
        customer=customer,
        items=[{"price": price_id, "quantity": licence.seats}],
        collection_method="send_invoice",
        days_until_due=DAYS_UNTIL_DUE,
        metadata=_metadata(licence),
        expand=["latest_invoice"],
    )
    Licence.objects.filter(pk=licence.pk, stripe_subscription_id__isnull=True).update(
        stripe_subscription_id=subscription["id"]
    )
    invoice = subscription.get("latest_invoice") or {}
    if isinstance(invoice, str):
        invoice = retrieve_invoice(invoice)
    if invoice.get("status") == "draft":
        invoice = finalize_invoice(invoice["id"])
    if invoice.get("status") == "open" and not (invoice.get("status_transitions") or {}).get("sent_at"):
        invoice = send_invoice(invoice["id"])
    synced = sync_licence(subscription["id"])
    return (synced.hosted_invoice_url if synced else "") or invoice.get("hosted_invoice_url") or ""


# Stripe → our licence ------------------------------------------------------------------------------------


@dataclass
class StripeState:
    subscription_id: str
    status: str
    customer: str
    quantity: int
    period_start: datetime | None
    period_end: datetime | None
    licence_id: str
    term_invoice: dict  # the invoice that bills the current term (subscription_create / _cycle)

    @property
    def paid(self) -> bool:
        return self.term_invoice.get("status") == "paid"

    @property
    def ended(self) -> bool:
        return self.status in ("canceled", "incomplete_expired")


def _read(subscription_id: str) -> StripeState:
    data = retrieve_subscription(subscription_id)
    item = ((data.get("items") or {}).get("data") or [{}])[0]
    invoice = data.get("latest_invoice") or {}
    if isinstance(invoice, str):
        invoice = retrieve_invoice(invoice)
    if invoice and invoice.get("billing_reason") not in ("subscription_create", "subscription_cycle"):
        # A seat addition's proration invoice is the latest: the term's own invoice is the one we recorded.
        invoice = {}
    return StripeState(
        subscription_id=data["id"],
        status=data.get("status", ""),
        customer=_id(data.get("customer")),
        quantity=int(item.get("quantity") or 0),
        period_start=_ts(item.get("current_period_start")),
        period_end=_ts(item.get("current_period_end")),
        licence_id=(data.get("metadata") or {}).get("licence", ""),
        term_invoice=invoice,
    )


def is_licence_subscription(subscription: dict) -> bool:
    return (subscription.get("metadata") or {}).get("purpose") == PURPOSE


def sync_licence(subscription_id: str) -> Licence | None:
    """Re-read the licence's Stripe subscription and apply it. Safe to call any number of times, in any order."""
    if not subscription_id:
        return None
    with transaction.atomic():
        # Lock first, then read: two syncs at once apply Stripe's state in turn, the later read last, so an
        # older snapshot never overwrites a newer one. (Reading creates nothing in Stripe.)
        locked = Licence.objects.select_for_update().select_related("organisation")
        licence = locked.filter(stripe_subscription_id=subscription_id).first()
        state = _read(subscription_id)
        if licence is None and state.licence_id.isdigit():
            licence = locked.filter(pk=int(state.licence_id), stripe_subscription_id__isnull=True).first()
        if licence is None:
            logger.info("Stripe subscription %s is not one of our licences; ignored", subscription_id)
            return None
        _apply(licence, state)
    return licence


def _apply(licence: Licence, state: StripeState) -> None:
    before = licence.status
    term_before = (licence.term_started_at, licence.ends_at, licence.seats)
    known_invoice = licence.stripe_invoice_id
    now = timezone.now()
    licence.stripe_subscription_id = state.subscription_id
    licence.stripe_customer_id = state.customer or licence.stripe_customer_id
    renewed = bool(licence.term_started_at and state.period_start and state.period_start > licence.term_started_at)
    invoice = state.term_invoice
    if invoice:
        if invoice.get("id") != known_invoice:
            licence.paid_at = None  # this term's invoice (the first, or a renewal's)
        licence.stripe_invoice_id = invoice.get("id", "")
        licence.invoice_status = invoice.get("status", "")
        licence.invoice_due_at = _ts(invoice.get("due_date"))
        licence.hosted_invoice_url = invoice.get("hosted_invoice_url") or ""
        if state.paid and licence.paid_at is None:
            licence.paid_at = _ts((invoice.get("status_transitions") or {}).get("paid_at")) or now
    if state.period_start and state.period_end and not state.ended:
        if renewed:
            licence.term_number += 1
            if licence.seats_next_term:
                licence.seats, licence.seats_next_term = licence.seats_next_term, None
        licence.term_started_at = state.period_start
        # Staff may have extended the licence past Stripe's period end: never move the end backwards.
        keep_extension = licence.ends_at and not renewed and licence.ends_at > state.period_end
        licence.ends_at = licence.ends_at if keep_extension else state.period_end
        if state.quantity > licence.seats and not licence.seats_next_term:
            licence.seats = state.quantity  # seats added mid-term (their proration was charged or invoiced)
    trusted_open = (
        licence.payment_method == PaymentMethod.INVOICE
        and licence.start_on_acceptance
        and invoice.get("status") == "open"
    )
    if state.ended:
        if licence.status not in Licence.ENDED_STATUSES:
            ended_on_time = licence.ends_at and licence.ends_at <= now
            licence.status = Licence.Status.EXPIRED if ended_on_time else Licence.Status.CANCELLED
            licence.ended_at = now
    elif licence.status == Licence.Status.PENDING_PAYMENT and (state.paid or trusted_open):
        licence.status = Licence.Status.ACTIVE
    elif licence.status == Licence.Status.SUSPENDED and state.paid and licence.suspension_reason == UNPAID:
        licence.status = Licence.Status.ACTIVE
        licence.suspended_at, licence.suspension_reason = None, ""
    licence.save()
    if licence.status != before:
        record(licence, f"status_{licence.status}", reason=f"Stripe: subscription {state.status}")
    if licence.status != before or term_before != (licence.term_started_at, licence.ends_at, licence.seats):
        seats.sync_entitlements(licence, reason=f"Licence {licence.get_status_display().lower()}")
        if licence.status == Licence.Status.ACTIVE:
            keys.issue_licence_key(licence, reason="activated" if licence.status != before else "terms changed")
    if licence.status != before and licence.status in Licence.ENDED_STATUSES:
        renewals.tell_members_ended(licence)
    org = licence.organisation
    if licence.status == Licence.Status.ACTIVE and before == Licence.Status.PENDING_PAYMENT:
        send_email("licence_active", org.billing_email, licence=licence, organisation=org.name)
    if invoice and invoice.get("id") != known_invoice and licence.payment_method == PaymentMethod.INVOICE:
        if invoice.get("status") == "open":
            send_email(
                "licence_invoice",
                org.billing_email,
                licence=licence,
                organisation=org.name,
                url=licence.hosted_invoice_url,
            )


UNPAID = "The invoice is unpaid 14 days after its due date."


# Billing's purpose hooks (card) ----------------------------------------------------------------------


def fulfil_payment(payment) -> None:
    """Checkout completed and paid: link the licence to its subscription and sync it after commit (billing
    holds the payment's lock here; the Stripe read happens outside it)."""
    from .. import tasks

    licence_id = (payment.metadata or {}).get("licence") or payment.reference.partition(":")[2]
    if not str(licence_id).isdigit() or not payment.stripe_subscription_id:
        logger.error("Licence payment %s names no licence or subscription", payment.pk)
        return
    Licence.objects.filter(pk=int(licence_id), stripe_subscription_id__isnull=True).update(
        stripe_subscription_id=payment.stripe_subscription_id
    )
    subscription_id = payment.stripe_subscription_id
    transaction.on_commit(lambda: tasks.sync_licence.delay(subscription_id))


def revoke_payment(payment, refund) -> None:
    """A full refund of a card purchase ends the licence now (access never outlives the money); the Stripe
    subscription is cancelled after commit. A partial refund is goodwill: the licence goes on."""
    from .. import tasks

    licence = Licence.objects.select_for_update().filter(checkout_payment_id=payment.pk).first()
    if licence is None:
        return
    record(licence, "refunded", reason=refund.reason, amount=refund.amount)
    if payment.amount_refunded < payment.amount or licence.status in Licence.ENDED_STATUSES:
        return
    licence.status = Licence.Status.CANCELLED
    licence.ended_at = timezone.now()
    licence.save(update_fields=["status", "ended_at", "updated_at"])
    seats.sync_entitlements(licence, reason="The licence was refunded")
    if licence.stripe_subscription_id:
        subscription_id = licence.stripe_subscription_id
        transaction.on_commit(lambda: tasks.cancel_subscription.delay(subscription_id))
