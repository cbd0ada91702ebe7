"""Quotes: a "Talk to sales" request → Sales prepares, sends, revises or marks it lost → the buyer accepts.

The money of a version is computed once, here, and stored (`price`); everything else reads it.
"""

import datetime
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing.interface import MoneyError, check_currency, format_money

from ..models import Licence, Quote, QuoteVersion
from ..models.quotes import MAX_SEATS, PaymentMethod
from . import organisations
from ._common import ConflictError, LicensingError, NotAllowed, record, send_email

TERMS = (12, 24, 36)
BPS = 10_000


@dataclass(frozen=True)
class Pricing:
    list_amount: int  # per seat for the whole term, before the discount
    unit_amount: int  # per seat for the whole term, after it
    total: int  # unit_amount × seats


def price(*, seats: int, unit_price: int, discount_bps: int, term_months: int) -> Pricing:
    """The one rule: per seat, list = price per year × years; net = list × (1 − discount), rounded down to a
    minor unit (in the buyer's favour); total = net × seats. So the total is always a whole number of
    minor units that Stripe reproduces exactly as quantity × unit amount."""
    _check_int("seats", seats, 1, MAX_SEATS)
    _check_int("unit_price", unit_price, 1, 10**12)
    _check_int("discount_bps", discount_bps, 0, BPS - 1)
    if term_months not in TERMS:
        raise LicensingError("The term is 12, 24 or 36 months.", fields={"term_months": ["Invalid."]})
    list_amount = unit_price * (term_months // 12)
    unit_amount = list_amount * (BPS - discount_bps) // BPS
    if unit_amount < 1:
        raise LicensingError("That discount leaves nothing to pay.", fields={"discount_bps": ["Too large."]})
    return Pricing(list_amount=list_amount, unit_amount=unit_amount, total=unit_amount * seats)


def _check_int(name: str, value, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise LicensingError(f"{name} must be a whole number from {low} to {high}.", fields={name: ["Out of range."]})


# Requests -------------------------------------------------------------------------------------------


def request_quote(
    *,
    company: str,
    contact_name: str,
    contact_email: str,
    seats: int,
    term_months: int,
    payment_method: str,
    message: str = "",
    requested_by=None,
) -> Quote:
    _check_int("seats", seats, 1, MAX_SEATS)
    if term_months not in TERMS:
        raise LicensingError("The term is 12, 24 or 36 months.", fields={"term_months": ["Invalid."]})
    if payment_method not in PaymentMethod.values:
        raise LicensingError("Choose card or invoice.", fields={"payment_method": ["Invalid."]})
    with transaction.atomic():
        quote = Quote.objects.create(
            company=company.strip()[:120],
            contact_name=contact_name.strip()[:120],
            contact_email=contact_email.strip().lower(),
            seats_wanted=seats,
            term_months=term_months,
            payment_method=payment_method,
            message=(message or "").strip()[:4000],
            requested_by=requested_by if getattr(requested_by, "is_authenticated", False) else None,
            token=secrets.token_urlsafe(32),
        )
        send_email("quote_requested", quote.contact_email, quote=quote)
    return quote


# Sales ----------------------------------------------------------------------------------------------


def quote_url(quote: Quote) -> str:
    return settings.SITE_URL + reverse("licensing:quote", args=[quote.token])


@transaction.atomic
def prepare_version(
    quote: Quote,
    *,
    seats: int,
    unit_price: int,
    currency: str,
    discount_bps: int,
    term_months: int,
    valid_until: datetime.date,
    payment_method: str,
    start_on_acceptance: bool = True,
    notes: str = "",
    by=None,
) -> QuoteVersion:
    """Prepare the first version or revise: the new version supersedes the current one, which stays readable
    but can no longer be accepted. A revision reopens an expired quote."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status in (Quote.Status.ACCEPTED, Quote.Status.LOST):
        raise ConflictError(f"This quote is {quote.get_status_display().lower()}; it cannot be changed.")
    try:
        currency = check_currency(currency)
    except MoneyError as exc:
        raise LicensingError(str(exc), fields={"currency": ["Unknown."]})
    if payment_method not in PaymentMethod.values:
        raise LicensingError("Choose card or invoice.", fields={"payment_method": ["Invalid."]})
    if not isinstance(valid_until, datetime.date) or valid_until < timezone.now().date():
        raise LicensingError("The quote must be valid until today or later.", fields={"valid_until": ["In the past."]})
    pricing = price(seats=seats, unit_price=unit_price, discount_bps=discount_bps, term_months=term_months)
    now = timezone.now()
    previous = quote.versions.select_for_update().filter(superseded_at__isnull=True).first()
    if previous is not None:
        previous.superseded_at = now
        previous.save(update_fields=["superseded_at"])
    version = QuoteVersion.objects.create(
        quote=quote,
        number=(previous.number + 1) if previous else quote.versions.count() + 1,
        seats=seats,
        term_months=term_months,
        currency=currency,
        unit_price=unit_price,
        discount_bps=discount_bps,
        list_amount=pricing.list_amount,
        unit_amount=pricing.unit_amount,
        total=pricing.total,
        payment_method=payment_method,
        start_on_acceptance=bool(start_on_acceptance) and payment_method == PaymentMethod.INVOICE,
        valid_until=valid_until,
        notes=(notes or "").strip()[:4000],
        prepared_by=by,
    )
    if quote.status == Quote.Status.EXPIRED:
        quote.status = Quote.Status.QUOTED
        quote.closed_at = None
        quote.save(update_fields=["status", "closed_at", "updated_at"])
    return version


@transaction.atomic
def send_quote(quote: Quote, *, by=None) -> QuoteVersion:
    """E-mail the current version to the contact with the quote's link. Sending again re-sends it."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status not in (Quote.Status.REQUESTED, Quote.Status.QUOTED):
        raise ConflictError(f"This quote is {quote.get_status_display().lower()}; it cannot be sent.")
    version = quote.versions.filter(superseded_at__isnull=True).first()
    if version is None:
        raise LicensingError("Prepare the quote (seats and price) before sending it.", code="not_prepared")
    if version.valid_until < timezone.now().date():
        raise LicensingError("This version's validity has passed: revise it with a new date.", code="expired")
    version.sent_at = version.sent_at or timezone.now()
    version.save(update_fields=["sent_at"])
    quote.status = Quote.Status.QUOTED
    quote.save(update_fields=["status", "updated_at"])
    send_email(
        "quote_sent",
        quote.contact_email,
        quote=quote,
        version=version,
        reference=quote.reference,
        url=quote_url(quote),
        total=format_money(version.total, version.currency),
    )
    return version


@transaction.atomic
def mark_lost(quote: Quote, *, reason: str, by=None) -> Quote:
    reason = (reason or "").strip()
    if not reason:
        raise LicensingError("Say why the quote was lost.", fields={"reason": ["Required."]})
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status not in (Quote.Status.REQUESTED, Quote.Status.QUOTED, Quote.Status.EXPIRED):
        raise ConflictError(f"This quote is {quote.get_status_display().lower()}; it cannot be marked lost.")
    quote.status = Quote.Status.LOST
    quote.lost_reason = reason[:255]
    quote.closed_at = timezone.now()
    quote.save(update_fields=["status", "lost_reason", "closed_at", "updated_at"])
    return quote


def expire_quotes(today: datetime.date | None = None) -> int:
    """Beat: quotes whose sent version's validity has passed become expired (a revision reopens them)."""
    today = today or timezone.now().date()
    expired = 0
    for quote in Quote.objects.filter(
        status=Quote.Status.QUOTED, versions__superseded_at__isnull=True, versions__valid_until__lt=today
    ):
        with transaction.atomic():
            locked = Quote.objects.select_for_update().get(pk=quote.pk)
            current = locked.versions.filter(superseded_at__isnull=True).first()
            if locked.status == Quote.Status.QUOTED and current and current.valid_until < today:
                locked.status = Quote.Status.EXPIRED
                locked.closed_at = timezone.now()
                locked.save(update_fields=["status", "closed_at", "updated_at"])
                expired += 1
    return expired


# The buyer ------------------------------------------------------------------------------------------


def acceptable_version(quote: Quote, version: QuoteVersion, today: datetime.date | None = None) -> None:
    """Raise the reason this version cannot be accepted now, if there is one."""
    today = today or timezone.now().date()
    if version.quote_id != quote.pk:
        raise LicensingError("That version does not belong to this quote.", code="not_found", status_code=404)
    if quote.status == Quote.Status.ACCEPTED:
        raise ConflictError("This quote has already been accepted.", code="already_accepted")
    if quote.status == Quote.Status.LOST:
        raise ConflictError("This quote is closed. Ask us for a new one.", code="quote_closed")
    if version.superseded_at is not None:
        raise ConflictError(
            f"Version {version.number} was replaced by a newer version; accept the latest one.", code="superseded"
        )
    if version.sent_at is None:
        raise ConflictError("This version has not been sent to you yet.", code="not_sent")
    if quote.status == Quote.Status.EXPIRED or version.valid_until < today:
        raise ConflictError(
            f"This quote expired on {version.valid_until:%-d %B %Y}. Ask us to renew it.", code="quote_expired"
        )


def accept_quote(quote: Quote, *, version_id: int, user, accept_terms: bool) -> Licence:
    """The buyer accepts a sent, current, valid version: an organisation (they become its owner, unless it
    is for an organisation they already administer) and a licence pending payment. Payment comes next
    (services.payments.start_payment), so a Stripe outage leaves an accepted quote the buyer can pay later."""
    if not accept_terms:
        raise LicensingError("Accept the terms to go on.", fields={"accept_terms": ["Required."]})
    with transaction.atomic():
        quote = Quote.objects.select_for_update().get(pk=quote.pk)
        version = (
            QuoteVersion.objects.filter(pk=version_id, quote=quote).first() if isinstance(version_id, int) else None
        )
        if version is None:
            raise LicensingError("That version does not belong to this quote.", code="not_found", status_code=404)
        acceptable_version(quote, version)
        org = quote.organisation
        if org is None:
            org = organisations.create_organisation(name=quote.company, billing_email=quote.contact_email, owner=user)
        elif not org.memberships.filter(user=user, role__in=["owner", "admin"]).exists():
            raise NotAllowed(f"Only an owner or admin of {org.name} can accept this quote.")
        licence = Licence.objects.create(
            organisation=org,
            quote_version=version,
            payment_method=version.payment_method,
            start_on_acceptance=version.start_on_acceptance,
            seats=version.seats,
            currency=version.currency,
            unit_amount=version.unit_amount,
            term_months=version.term_months,
        )
        quote.status = Quote.Status.ACCEPTED
        quote.organisation = org
        quote.accepted_version = version
        quote.accepted_at = quote.closed_at = timezone.now()
        quote.accepted_by = user
        quote.save()
        record(licence, "created", actor=user, quote=quote.reference, version=version.number, total=version.total)
    return licence
