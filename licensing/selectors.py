"""Reads for pages, the API, the console and other apps; each a fixed number of queries."""

from datetime import timedelta

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone

from .models import (
    Activation,
    Licence,
    LicenceKey,
    Membership,
    Organisation,
    OrganisationAPIKey,
    Quote,
    QuoteVersion,
    Seat,
)
from .models.organisations import ADMIN_ROLES

# Who is who ---------------------------------------------------------------------------------------


def memberships_of(user) -> QuerySet[Membership]:
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name")


def membership(user, slug: str) -> Membership | None:
    """The user's membership of the organisation `slug`, or None (an outsider: treat as "not found")."""
    if not getattr(user, "is_authenticated", False) or not isinstance(slug, str):
        return None
    return Membership.objects.select_related("organisation").filter(user=user, organisation__slug=slug).first()


def is_org_admin(user, org: Organisation) -> bool:
    return Membership.objects.filter(user=user, organisation=org, role__in=ADMIN_ROLES).exists()


def members(org: Organisation) -> QuerySet[Membership]:
    return Membership.objects.filter(organisation=org).select_related("user").order_by("role", "user__email")


# Licences ----------------------------------------------------------------------------------------


def current_licence(org: Organisation) -> Licence | None:
    """The organisation's licence that matters now: the live one, else the newest."""
    rows = list(Licence.objects.filter(organisation=org).order_by("-created_at")[:10])
    for status in (Licence.Status.ACTIVE, Licence.Status.SUSPENDED, Licence.Status.PENDING_PAYMENT):
        for licence in rows:
            if licence.status == status:
                return licence
    return rows[0] if rows else None


def licence_for_subscription(subscription_id: str) -> Licence | None:
    return Licence.objects.filter(stripe_subscription_id=subscription_id).first() if subscription_id else None


def current_key(licence: Licence) -> LicenceKey | None:
    return LicenceKey.objects.filter(licence=licence, superseded_at__isnull=True).first()


def live_activations(licence: Licence) -> QuerySet[Activation]:
    return Activation.objects.filter(licence=licence, deactivated_at__isnull=True).order_by("created_at")


def revocation_cap(licence: Licence) -> int:
    """At most 10% of the seats (at least one) per term, plus what staff allowed."""
    return max(1, licence.seats // 10) + licence.revocation_cap_extra


def revocations_used(licence: Licence) -> int:
    return Seat.objects.filter(licence=licence, revoked_in_term=licence.term_number).count()


def revocations_left(licence: Licence) -> int:
    return max(revocation_cap(licence) - revocations_used(licence), 0)


def seat_counts(licence: Licence) -> dict[str, int]:
    rows = Seat.objects.filter(licence=licence).values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in Seat.Status.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def seats(licence: Licence, *, statuses=None) -> QuerySet[Seat]:
    qs = Seat.objects.filter(licence=licence).select_related("user")
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("status", "email", "id")


def pending_invitations(licence: Licence) -> QuerySet[Seat]:
    return seats(licence, statuses=[Seat.Status.INVITED])


def api_keys(org: Organisation) -> QuerySet[OrganisationAPIKey]:
    return OrganisationAPIKey.objects.filter(organisation=org).select_related("created_by").order_by("-created_at")


# Quotes ------------------------------------------------------------------------------------------


def quote_by_token(token: str) -> Quote | None:
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        return None
    return (
        Quote.objects.select_related("organisation", "accepted_version")
        .prefetch_related(Prefetch("versions", queryset=QuoteVersion.objects.order_by("-number")))
        .filter(token=token)
        .first()
    )


def current_version(quote: Quote) -> QuoteVersion | None:
    return next((v for v in quote.versions.all() if v.superseded_at is None), None)


# For other apps (observability) ----------------------------------------------------------------------


def seats_in_use_total() -> dict[str, int]:
    """Seats bought and in use over live licences: one aggregate query, cheap enough for a metrics scrape."""
    totals = Licence.objects.filter(status__in=[Licence.Status.ACTIVE, Licence.Status.SUSPENDED]).aggregate(
        seats=Sum("seats"), in_use=Sum("seats_in_use"), licences=Count("id")
    )
    return {key: value or 0 for key, value in totals.items()}


def licences_due_for_suspension(grace_days: int, now=None) -> QuerySet[Licence]:
    now = now or timezone.now()
    return Licence.objects.filter(
        status=Licence.Status.ACTIVE,
        payment_method="invoice",
        paid_at__isnull=True,
        invoice_due_at__lt=now - timedelta(days=grace_days),
    )


# For support (support/ reads these through licensing.interface) ------------------------------------


def supported_organisation(user) -> Organisation | None:
    """The organisation a person asks support as: the first one they belong to with an active licence."""
    if not getattr(user, "is_authenticated", False):
        return None
    live = Licence.objects.filter(status=Licence.Status.ACTIVE).values("organisation_id")
    found = memberships_of(user).filter(organisation_id__in=live).first()
    return found.organisation if found else None


def admin_organisation_ids(user) -> list[int]:
    """The organisations this person administers (owners and admins)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Membership.objects.filter(user=user, role__in=ADMIN_ROLES).values_list("organisation_id", flat=True))
