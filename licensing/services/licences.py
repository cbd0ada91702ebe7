"""What happens to a licence besides payment: staff actions (each with a reason), the suspension of unpaid
invoiced licences, and changing the number of seats."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.interface import (
    format_money,
    modify_subscription,
    preview_invoice,
    retrieve_invoice,
    retrieve_subscription,
)

from .. import selectors
from ..models import Licence, PaymentMethod
from ..models.quotes import MAX_SEATS
from . import keys, payments, renewals, seats
from ._common import ConflictError, LicensingError, logger, record, send_email

SUSPENSION_GRACE_DAYS = 14


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise LicensingError("Give a reason; it is kept in the licence's history.", fields={"reason": ["Required."]})
    return reason[:500]


def _locked(licence: Licence) -> Licence:
    return Licence.objects.select_for_update().select_related("organisation").get(pk=licence.pk)


# Staff actions ----------------------------------------------------------------------------------------


@transaction.atomic
def extend(licence: Licence, *, until: datetime, by, reason: str) -> Licence:
    """Move the licence's end later (members' access and the licence key follow)."""
    reason = _reason(reason)
    licence = _locked(licence)
    if licence.status in Licence.ENDED_STATUSES or licence.ends_at is None:
        raise ConflictError("Only a licence that has started and not ended can be extended.", code="not_extendable")
    if until <= licence.ends_at:
        raise LicensingError(
            f"The new end must be after the current one ({licence.ends_at:%-d %B %Y}).",
            fields={"until": ["Too early."]},
        )
    previous = licence.ends_at
    licence.ends_at = until
    licence.save(update_fields=["ends_at", "updated_at"])
    record(licence, "extended", reason=reason, actor=by, previous=previous.isoformat(), until=until.isoformat())
    seats.sync_entitlements(licence, reason="Licence extended")
    if licence.status == Licence.Status.ACTIVE:
        keys.issue_licence_key(licence, reason="extended")
    return licence


@transaction.atomic
def suspend(licence: Licence, *, by=None, reason: str) -> Licence:
    """Members lose access at once; the licence key validates as suspended. Data and seats stay."""
    reason = _reason(reason)
    licence = _locked(licence)
    if licence.status != Licence.Status.ACTIVE:
        raise ConflictError("Only an active licence can be suspended.", code="not_active")
    licence.status = Licence.Status.SUSPENDED
    licence.suspended_at = timezone.now()
    licence.suspension_reason = reason[:255]
    licence.save(update_fields=["status", "suspended_at", "suspension_reason", "updated_at"])
    record(licence, "suspended", reason=reason, actor=by)
    seats.sync_entitlements(licence, reason=f"Licence suspended: {reason}"[:255])
    send_email(
        "licence_suspended", licence.organisation.billing_email, licence=licence, organisation=licence.organisation.name
    )
    return licence


@transaction.atomic
def reinstate(licence: Licence, *, by, reason: str) -> Licence:
    reason = _reason(reason)
    licence = _locked(licence)
    if licence.status != Licence.Status.SUSPENDED:
        raise ConflictError("Only a suspended licence can be reinstated.", code="not_suspended")
    licence.status = Licence.Status.ACTIVE
    licence.suspended_at, licence.suspension_reason = None, ""
    licence.save(update_fields=["status", "suspended_at", "suspension_reason", "updated_at"])
    record(licence, "reinstated", reason=reason, actor=by)
    seats.sync_entitlements(licence, reason="Licence reinstated")
    return licence


@transaction.atomic
def raise_revocation_cap(licence: Licence, *, extra: int, by, reason: str) -> Licence:
    reason = _reason(reason)
    if isinstance(extra, bool) or not isinstance(extra, int) or not 1 <= extra <= 1000:
        raise LicensingError("Allow between 1 and 1000 more revocations.", fields={"extra": ["Out of range."]})
    licence = _locked(licence)
    licence.revocation_cap_extra += extra
    licence.save(update_fields=["revocation_cap_extra", "updated_at"])
    record(
        licence, "revocation_cap_raised", reason=reason, actor=by, extra=extra, cap=selectors.revocation_cap(licence)
    )
    return licence


# Unpaid invoices ----------------------------------------------------------------------------------------


def suspend_unpaid(now: datetime | None = None) -> int:
    """Beat: an invoiced licence whose invoice is still unpaid 14 days after its due date is suspended.

    Stripe is asked first (a lost invoice.paid must not suspend a customer who paid); paying later lifts it."""
    now = now or timezone.now()
    suspended = 0
    for licence in selectors.licences_due_for_suspension(SUSPENSION_GRACE_DAYS, now):
        if licence.stripe_subscription_id:
            synced = payments.sync_licence(licence.stripe_subscription_id)
            if synced is None or synced.paid_at is not None:
                continue
            invoice = retrieve_invoice(synced.stripe_invoice_id) if synced.stripe_invoice_id else {}
            if invoice.get("status") == "paid":
                continue
            licence = synced
        if licence.status == Licence.Status.ACTIVE:
            suspend(licence, reason=payments.UNPAID)
            suspended += 1
    if suspended:
        logger.warning("Suspended %d licence(s) with unpaid invoices", suspended)
    return suspended


def expire_ended(now: datetime | None = None) -> int:
    """Beat: a licence past its end whose subscription Stripe did not renew ends (members lose access)."""
    now = now or timezone.now()
    ended = 0
    for licence in Licence.objects.filter(
        status__in=[Licence.Status.ACTIVE, Licence.Status.SUSPENDED], ends_at__lte=now
    ):
        if licence.stripe_subscription_id:
            synced = payments.sync_licence(licence.stripe_subscription_id)
            if synced is None or synced.ends_at > now or synced.status in Licence.ENDED_STATUSES:
                ended += int(bool(synced and synced.status in Licence.ENDED_STATUSES))
                continue
        with transaction.atomic():
            locked = _locked(licence)
            if locked.status in Licence.ENDED_STATUSES or locked.ends_at > now:
                continue
            locked.status, locked.ended_at = Licence.Status.EXPIRED, now
            locked.save(update_fields=["status", "ended_at", "updated_at"])
            record(locked, "expired", reason="The term ended without a renewal.")
            seats.sync_entitlements(locked, reason="Licence expired")
            renewals.tell_members_ended(locked)
            ended += 1
    return ended


# Seat changes ----------------------------------------------------------------------------------------


@dataclass
class SeatChangePreview:
    kind: str  # add | reduce | withdraw_reduction
    seats: int
    amount_due_now: int
    currency: str
    effective_at: datetime | None
    next_term_amount: int
    proration_date: int | None

    def summary(self) -> str:
        money = format_money(self.amount_due_now, self.currency)
        if self.kind == "add":
            return f"You go to {self.seats} seats now and pay {money} for the rest of this term."
        when = f"{self.effective_at:%-d %B %Y}" if self.effective_at else "the renewal"
        if self.kind == "withdraw_reduction":
            return "The scheduled reduction is withdrawn: the licence renews with its current seats."
        return (
            f"Your licence keeps its seats until {when}, then renews with {self.seats} seats at "
            f"{format_money(self.next_term_amount, self.currency)} per term. Nothing is charged today."
        )


def _stripe_item(licence: Licence) -> str:
    data = retrieve_subscription(licence.stripe_subscription_id)
    return ((data.get("items") or {}).get("data") or [{}])[0].get("id", "")


def _check_change(licence: Licence, new_seats: int) -> str:
    if isinstance(new_seats, bool) or not isinstance(new_seats, int) or not 1 <= new_seats <= MAX_SEATS:
        raise LicensingError(f"Choose from 1 to {MAX_SEATS} seats.", fields={"seats": ["Out of range."]})
    if licence.status != Licence.Status.ACTIVE or not licence.stripe_subscription_id:
        raise ConflictError("Seats can be changed on an active licence only.", code="licence_not_active")
    if new_seats == licence.seats:
        return "withdraw_reduction" if licence.seats_next_term else "same"
    if new_seats > licence.seats:
        if licence.seats_next_term:
            raise ConflictError("Withdraw the scheduled reduction before adding seats.", code="reduction_pending")
        return "add"
    if new_seats < licence.seats_in_use:
        raise LicensingError(
            f"{licence.seats_in_use} seats are in use: revoke some before going down to {new_seats}.",
            code="below_seats_in_use",
            fields={"seats": [f"At least {licence.seats_in_use}."]},
        )
    return "reduce"


def preview_seat_change(licence: Licence, new_seats: int) -> SeatChangePreview:
    kind = _check_change(licence, new_seats)
    if kind == "same":
        raise LicensingError("That is the number of seats you have.", code="same_seats")
    preview = SeatChangePreview(
        kind=kind,
        seats=new_seats,
        amount_due_now=0,
        currency=licence.currency,
        effective_at=licence.ends_at,
        next_term_amount=licence.unit_amount * new_seats,
        proration_date=None,
    )
    if kind == "add":
        invoice = preview_invoice(
            customer=licence.stripe_customer_id,
            subscription=licence.stripe_subscription_id,
            subscription_details={
                "items": [{"id": _stripe_item(licence), "quantity": new_seats}],
                "proration_behavior": "always_invoice",
            },
        )
        preview.amount_due_now = invoice.get("amount_due", 0)
        preview.proration_date = invoice.get("subscription_proration_date")
        preview.effective_at = timezone.now()
    return preview


def change_seats(licence: Licence, new_seats: int, *, proration_date: int | None = None, by=None) -> Licence:
    """Add seats now (the prorated difference is charged to the card, or invoiced net 30), or schedule fewer
    seats from the renewal (never below the seats in use; Stripe bills the new quantity from then)."""
    kind = _check_change(licence, new_seats)
    if kind == "same":
        raise LicensingError("That is the number of seats you have.", code="same_seats")
    item = _stripe_item(licence)
    # Our row changes with every applied change: a retried click replays, a later change is new.
    ikey = f"lyceum-licence-{licence.pk}-seats-{new_seats}-{licence.updated_at.timestamp():.6f}"
    if kind == "add":
        params = {"items": [{"id": item, "quantity": new_seats}], "proration_behavior": "always_invoice"}
        if (
            isinstance(proration_date, int)
            and licence.term_started_at
            and proration_date >= licence.term_started_at.timestamp()
        ):
            params["proration_date"] = proration_date
        if licence.payment_method == PaymentMethod.CARD:
            params["payment_behavior"] = "error_if_incomplete"  # a declined card changes nothing
        modify_subscription(licence.stripe_subscription_id, idempotency_key=ikey, **params)
        synced = payments.sync_licence(licence.stripe_subscription_id)
        record(synced, "seats_added", actor=by, seats=new_seats)
        return synced
    target = licence.seats if kind == "withdraw_reduction" else new_seats
    modify_subscription(
        licence.stripe_subscription_id,
        idempotency_key=ikey,
        items=[{"id": item, "quantity": target}],
        proration_behavior="none",
    )
    try:
        with transaction.atomic():
            locked = _locked(licence)
            locked.seats_next_term = None if kind == "withdraw_reduction" else new_seats
            locked.save(update_fields=["seats_next_term", "updated_at"])
            done = "withdrawn" if kind == "withdraw_reduction" else "scheduled"
            record(locked, f"seats_reduction_{done}", actor=by, seats=new_seats)
    except IntegrityError:
        # Someone took a seat meanwhile (the database refuses a reduction below the seats in use): put
        # Stripe's quantity back so it still bills the current seats at the renewal.
        modify_subscription(
            licence.stripe_subscription_id,
            idempotency_key=ikey + "-undo",
            items=[{"id": item, "quantity": licence.seats}],
            proration_behavior="none",
        )
        raise ConflictError(
            "Seats were taken meanwhile: there are now more in use than that.", code="below_seats_in_use"
        )
    return locked
