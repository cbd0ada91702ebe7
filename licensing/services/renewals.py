"""Renewals: notices to org admins 60, 30 and 7 days before a term ends (each once per term), what the next
term will cost, cancelling at the term's end (with the reason recorded) or taking that back, and telling the
members when a licence has ended. The renewal itself is Stripe's (the subscription's next cycle) and is
applied by payments.sync_licence: the end moves on, seat reductions take effect, entitlements follow."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.interface import format_money, modify_subscription

from ..models import Licence, Membership, RenewalNotice, Seat
from ..models.organisations import ADMIN_ROLES
from ._common import ConflictError, LicensingError, record, send_email

NOTICE_DAYS = (60, 30, 7)


@dataclass(frozen=True)
class RenewalPreview:
    licence: Licence
    renews_at: datetime | None
    seats: int
    unit_amount: int
    currency: str
    total: int
    cancelled: bool

    @property
    def total_display(self) -> str:
        return format_money(self.total, self.currency)

    @property
    def unit_display(self) -> str:
        return format_money(self.unit_amount, self.currency)


def preview(licence: Licence) -> RenewalPreview:
    """The next term as it stands: its seats (a scheduled reduction included) and price."""
    seats = licence.seats_next_term or licence.seats
    return RenewalPreview(
        licence=licence,
        renews_at=licence.ends_at,
        seats=seats,
        unit_amount=licence.unit_amount,
        currency=licence.currency,
        total=licence.unit_amount * seats,
        cancelled=licence.cancel_at_term_end,
    )


def _admin_emails(licence: Licence) -> list[str]:
    rows = Membership.objects.filter(organisation_id=licence.organisation_id, role__in=ADMIN_ROLES)
    return sorted(set(rows.values_list("user__email", flat=True)))


def _notice_due(days_left: float) -> int | None:
    """The notice whose window we are in (the nearest mark passed): a late beat sends that one, not all."""
    passed = [d for d in NOTICE_DAYS if days_left <= d]
    return min(passed) if passed else None


def send_renewal_notices(now: datetime | None = None) -> int:
    """Beat: each active licence renewing within 60 days gets the notice of its window, once per term."""
    now = now or timezone.now()
    sent = 0
    renewing = Licence.objects.filter(
        status=Licence.Status.ACTIVE,
        cancel_at_term_end=False,
        ends_at__gt=now,
        ends_at__lte=now + timedelta(days=max(NOTICE_DAYS)),
    ).select_related("organisation")
    for licence in renewing:
        days = _notice_due((licence.ends_at - now) / timedelta(days=1))
        if days is None:
            continue
        try:
            with transaction.atomic():
                _, created = RenewalNotice.objects.get_or_create(
                    licence=licence, term_number=licence.term_number, days_before=days
                )
                if not created:
                    continue
                upcoming = preview(licence)
                for address in _admin_emails(licence):
                    send_email(
                        "renewal_notice",
                        address,
                        licence=licence,
                        organisation=licence.organisation.name,
                        preview=upcoming,
                        days=days,
                    )
                record(licence, "renewal_notice", days_before=days, seats=upcoming.seats, total=upcoming.total)
        except IntegrityError:
            continue  # another run sent it
        sent += 1
    return sent


def cancel_at_term_end(licence: Licence, *, by, reason: str) -> Licence:
    """The licence will not renew: Stripe's subscription ends at the period's end, the reason is kept."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise LicensingError(
            "Tell us why you are cancelling.", code="reason_required", fields={"reason": ["Required."]}
        )
    if licence.status not in (Licence.Status.ACTIVE, Licence.Status.SUSPENDED):
        raise ConflictError("Only a live licence can be cancelled.", code="not_live")
    if licence.cancel_at_term_end:
        raise ConflictError("The licence is already set to end at the end of its term.", code="already_cancelled")
    _set_stripe_cancel(licence, True)
    with transaction.atomic():
        locked = Licence.objects.select_for_update().get(pk=licence.pk)
        locked.cancel_at_term_end, locked.cancellation_reason = True, reason[:500]
        locked.save(update_fields=["cancel_at_term_end", "cancellation_reason", "updated_at"])
        record(locked, "cancel_at_term_end", reason=reason, actor=by)
    return locked


def resume(licence: Licence, *, by) -> Licence:
    if not licence.cancel_at_term_end:
        raise ConflictError("The licence renews already.", code="not_cancelled")
    if licence.status not in (Licence.Status.ACTIVE, Licence.Status.SUSPENDED):
        raise ConflictError("This licence has ended: ask us for a new quote.", code="not_live")
    _set_stripe_cancel(licence, False)
    with transaction.atomic():
        locked = Licence.objects.select_for_update().get(pk=licence.pk)
        locked.cancel_at_term_end, locked.cancellation_reason = False, ""
        locked.save(update_fields=["cancel_at_term_end", "cancellation_reason", "updated_at"])
        record(locked, "renewal_resumed", actor=by)
    return locked


def _set_stripe_cancel(licence: Licence, cancel: bool) -> None:
    if not licence.stripe_subscription_id:
        return  # a licence staff created without Stripe ends by our own beat (licences.expire_ended)
    modify_subscription(
        licence.stripe_subscription_id,
        idempotency_key=f"lyceum-licence-{licence.pk}-cancel-{int(cancel)}-{licence.updated_at.timestamp():.6f}",
        cancel_at_period_end=cancel,
    )


def tell_members_ended(licence: Licence) -> None:
    """The licence has ended: every member with a seat is told (their seat rows stay for a later renewal)."""
    holders = Seat.objects.filter(licence=licence, status=Seat.Status.ACTIVE).select_related("user")
    for seat in holders:
        if seat.user_id and seat.user.is_active:
            send_email("licence_ended", seat.user.email, licence=licence, organisation=licence.organisation.name)
