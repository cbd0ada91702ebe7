"""Seats: invitations (one by one, by CSV, by the provisioning API), acceptance, revocation, domain seats,
and the Enterprise entitlement each active seat gives its member.

An invitation does not hold a seat; accepting it takes one. The seat count is kept in
`Licence.seats_in_use`, incremented with one UPDATE under the licence's row lock, and a database check
keeps it within `Licence.seats`: of 50 people accepting at once for 10 free seats, exactly 10 get one.
"""

import csv
import hashlib
import io
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from subscriptions.interface import LICENCE_SEAT, grant_entitlement, live_entitlements, revoke_entitlements

from .. import selectors
from ..models import Licence, Seat
from ..models.organisations import OrganisationDomain
from . import organisations
from ._common import ConflictError, LicensingError, NotFoundError, record, send_email

INVITATION_DAYS = 30
CSV_MAX_ROWS = 1000
PENDING_INVITATIONS_OVER_SEATS = 1000  # how far invitations may run ahead of free seats


class NoFreeSeat(ConflictError):
    code = "no_free_seat"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def invitation_url(raw: str) -> str:
    return settings.SITE_URL + reverse("licensing:invitation", args=[raw])


def normalise_email(value: str) -> str:
    email = (value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise LicensingError(f"“{value}” is not an e-mail address.", fields={"email": ["Not an e-mail address."]})
    return email


def _require_live(licence: Licence) -> None:
    if licence.status != Licence.Status.ACTIVE:
        raise ConflictError(
            f"The licence is {licence.get_status_display().lower()}: seats can be given only on an active licence.",
            code="licence_not_active",
        )


# Invitations ---------------------------------------------------------------------------------------


def _check_invitable(licence: Licence, emails: list[str]) -> dict[str, str]:
    """E-mail → why it cannot be invited (already invited or seated)."""
    taken = dict(
        Seat.objects.filter(
            licence=licence, email__in=emails, status__in=[Seat.Status.INVITED, Seat.Status.ACTIVE]
        ).values_list("email", "status")
    )
    return {
        email: ("already has a seat" if status == Seat.Status.ACTIVE else "is already invited")
        for email, status in taken.items()
    }


def _check_pending_cap(licence: Licence, adding: int) -> None:
    pending = Seat.objects.filter(licence=licence, status=Seat.Status.INVITED).count()
    limit = licence.seats_free + PENDING_INVITATIONS_OVER_SEATS
    if pending + adding > limit:
        raise LicensingError(
            f"At most {limit} invitations can wait at once for this licence ({pending} are waiting).",
            code="too_many_invitations",
        )


def _new_invitation(seat: Seat, *, by) -> str:
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    seat.status = Seat.Status.INVITED
    seat.invitation_digest = _digest(raw)
    seat.invited_at = now
    seat.invitation_expires_at = now + timedelta(days=INVITATION_DAYS)
    seat.invited_by = by
    return raw


def _send_invitation(seat: Seat, raw: str) -> None:
    licence = seat.licence
    send_email(
        "invitation",
        seat.email,
        seat=seat,
        organisation=licence.organisation.name,
        url=invitation_url(raw),
        expires_at=seat.invitation_expires_at,
    )


@transaction.atomic
def invite(licence: Licence, email: str, *, by=None, source: str = Seat.Source.INVITATION) -> tuple[Seat, str]:
    """Invite one person by e-mail; returns the seat and the raw link token (also e-mailed)."""
    email = normalise_email(email)
    licence = Licence.objects.select_for_update().select_related("organisation").get(pk=licence.pk)
    _require_live(licence)
    problem = _check_invitable(licence, [email]).get(email)
    if problem:
        raise ConflictError(f"{email} {problem}.", code="already_invited", fields={"email": [problem.capitalize()]})
    _check_pending_cap(licence, 1)
    seat = Seat(licence=licence, email=email, source=source)
    raw = _new_invitation(seat, by=by)
    seat.save()
    _send_invitation(seat, raw)
    return seat, raw


@dataclass
class CsvResult:
    invited: list[Seat] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"line": n, "email": "...", "message": "..."}

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_csv(text: str) -> tuple[list[tuple[int, str]], list[dict]]:
    """(line, e-mail) rows and per-line errors. One e-mail per row in the first column, or in a column headed
    "email"; blank lines are skipped."""
    rows: list[tuple[int, str]] = []
    errors: list[dict] = []
    reader = csv.reader(io.StringIO(text))
    column = 0
    try:
        for line_number, row in enumerate(reader, start=1):
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            lowered = [cell.lower() for cell in cells]
            if not rows and not errors and ("email" in lowered or "e-mail" in lowered):
                column = lowered.index("email") if "email" in lowered else lowered.index("e-mail")
                continue
            rows.append((line_number, cells[column] if column < len(cells) else ""))
    except csv.Error as exc:
        errors.append({"line": reader.line_num, "email": "", "message": f"The file is not valid CSV: {exc}."})
    return rows, errors


def import_csv(licence: Licence, text: str, *, by=None) -> CsvResult:
    """Invite everyone in the file, or no one: each bad row is reported with its line and nothing is imported."""
    result = CsvResult()
    rows, result.errors = parse_csv(text)
    if not rows and not result.errors:
        result.errors.append({"line": 0, "email": "", "message": "The file has no e-mail addresses."})
    if len(rows) > CSV_MAX_ROWS:
        result.errors.append(
            {"line": 0, "email": "", "message": f"The file has {len(rows)} rows; upload at most {CSV_MAX_ROWS}."}
        )
        return result
    seen: dict[str, int] = {}
    emails: list[tuple[int, str]] = []
    for line, value in rows:
        try:
            email = normalise_email(value)
        except LicensingError:
            result.errors.append({"line": line, "email": value, "message": "Not an e-mail address."})
            continue
        if email in seen:
            result.errors.append({"line": line, "email": value, "message": f"Repeats line {seen[email]}."})
            continue
        seen[email] = line
        emails.append((line, email))
    with transaction.atomic():
        licence = Licence.objects.select_for_update().select_related("organisation").get(pk=licence.pk)
        _require_live(licence)
        taken = _check_invitable(licence, [email for _, email in emails])
        for line, email in emails:
            if email in taken:
                result.errors.append({"line": line, "email": email, "message": f"{email} {taken[email]}."})
        if result.errors:
            result.errors.sort(key=lambda e: e["line"])
            return result
        _check_pending_cap(licence, len(emails))
        for _, email in emails:
            seat = Seat(licence=licence, email=email, source=Seat.Source.CSV)
            raw = _new_invitation(seat, by=by)
            seat.save()
            _send_invitation(seat, raw)
            result.invited.append(seat)
    return result


def _seat_for_admin(licence: Licence, seat_id) -> Seat:
    seat = Seat.objects.select_for_update().filter(licence=licence, pk=seat_id).first()
    if seat is None:
        raise NotFoundError("That seat is not on this licence.")
    return seat


@transaction.atomic
def resend_invitation(licence: Licence, seat_id: int, *, by=None) -> Seat:
    """A fresh link (the old one stops working) valid for another 30 days."""
    seat = _seat_for_admin(licence, seat_id)
    if seat.status != Seat.Status.INVITED:
        raise ConflictError("Only a waiting invitation can be sent again.", code="not_invited")
    raw = _new_invitation(seat, by=by)
    seat.save()
    _send_invitation(seat, raw)
    return seat


@transaction.atomic
def cancel_invitation(licence: Licence, seat_id: int, *, by=None) -> Seat:
    seat = _seat_for_admin(licence, seat_id)
    if seat.status != Seat.Status.INVITED:
        raise ConflictError("Only a waiting invitation can be cancelled.", code="not_invited")
    seat.status = Seat.Status.UNASSIGNED
    seat.invitation_digest = None
    seat.invitation_expires_at = None
    seat.save()
    return seat


# Taking a seat -------------------------------------------------------------------------------------


def _take_seat(seat: Seat, user, licence: Licence) -> Seat:
    """Inside the caller's transaction: count the seat (the database refuses one too many) and activate it."""
    try:
        with transaction.atomic():
            Licence.objects.filter(pk=licence.pk).update(seats_in_use=F("seats_in_use") + 1)
    except IntegrityError:
        raise NoFreeSeat(
            f"All {licence.seats} seats of {licence.organisation.name}'s licence are taken. Ask an admin to add seats."
        )
    now = timezone.now()
    seat.status = Seat.Status.ACTIVE
    seat.user = user
    seat.email = user.email.lower()
    seat.activated_at = now
    seat.invitation_digest = None  # single use
    try:
        with transaction.atomic():
            seat.save()
    except IntegrityError:
        raise ConflictError("You already have a seat on this licence.", code="already_seated")
    organisations.ensure_member(licence.organisation, user)
    _grant(seat, licence)
    return seat


def accept_invitation(raw: str, user) -> Seat:
    """The invited person, signed in with the invited address, takes a seat. The link works once."""
    if not isinstance(raw, str) or not 20 <= len(raw) <= 100:
        raise NotFoundError("This invitation link is not valid.")
    with transaction.atomic():
        seat = (
            Seat.objects.select_for_update()
            .select_related("licence__organisation")
            .filter(invitation_digest=_digest(raw), status=Seat.Status.INVITED)
            .first()
        )
        if seat is None:
            raise NotFoundError("This invitation link is not valid or has already been used.")
        if seat.invitation_expires_at <= timezone.now():
            raise ConflictError(
                "This invitation expired. Ask an admin of your organisation to send it again.",
                code="invitation_expired",
            )
        if user.email.lower() != seat.email:
            raise ConflictError(
                f"This invitation is for {seat.email}. Sign in with that address to accept it.", code="wrong_account"
            )
        licence = Licence.objects.select_for_update().select_related("organisation").get(pk=seat.licence_id)
        _require_live(licence)
        return _take_seat(seat, user, licence)


def invitation_for(raw: str) -> Seat | None:
    if not isinstance(raw, str) or not 20 <= len(raw) <= 100:
        return None
    return Seat.objects.select_related("licence__organisation").filter(invitation_digest=_digest(raw)).first()


def claim_domain_seat(user) -> Seat | None:
    """A person who confirmed an address on a verified auto-seat domain gets a seat, if one is free."""
    domain = user.email.rsplit("@", 1)[-1].lower()
    row = (
        OrganisationDomain.objects.filter(domain=domain, verified_at__isnull=False, auto_seat=True)
        .select_related("organisation")
        .first()
    )
    if row is None:
        return None
    licence = Licence.objects.filter(organisation=row.organisation, status=Licence.Status.ACTIVE).first()
    if licence is None:
        return None
    with transaction.atomic():
        licence = Licence.objects.select_for_update().select_related("organisation").get(pk=licence.pk)
        existing = Seat.objects.filter(licence=licence, email=user.email.lower(), status__in=["invited", "active"])
        seat = existing.select_for_update().first()
        if seat is not None and seat.status == Seat.Status.ACTIVE:
            return seat
        seat = seat or Seat(licence=licence, email=user.email.lower(), source=Seat.Source.DOMAIN)
        try:
            return _take_seat(seat, user, licence)
        except NoFreeSeat:
            record(licence, "domain_seat_refused", email=user.email, reason="no free seat")
            return None


# Ending a seat -------------------------------------------------------------------------------------


def revoke(licence: Licence, seat_id: int, *, by=None, reason: str = "") -> Seat:
    """An admin ends a member's seat (their Enterprise access ends at once). At most the term's revocation
    cap (10% of the seats, at least one, plus what staff allowed); a waiting invitation is cancelled instead."""
    with transaction.atomic():
        licence = Licence.objects.select_for_update().select_related("organisation").get(pk=licence.pk)
        seat = _seat_for_admin(licence, seat_id)
        if seat.status == Seat.Status.INVITED:
            return cancel_invitation(licence, seat_id, by=by)
        if seat.status != Seat.Status.ACTIVE:
            raise ConflictError("This seat is not in use.", code="not_active")
        cap, used = selectors.revocation_cap(licence), selectors.revocations_used(licence)
        if used >= cap:
            raise ConflictError(
                f"No revocations left this term: {used} of {cap} used (10% of the seats, at least one). "
                "Contact support if you need more.",
                code="revocation_cap_reached",
            )
        _end_seat(seat, licence, reason=(reason or "Revoked by an admin of the organisation").strip(), by=by)
        seat.revoked_in_term = licence.term_number
        seat.save(update_fields=["revoked_in_term"])
        send_email("seat_revoked", seat.user.email, seat=seat, organisation=licence.organisation.name)
        return seat


def _end_seat(seat: Seat, licence: Licence, *, reason: str, by) -> None:
    Licence.objects.filter(pk=licence.pk).update(seats_in_use=F("seats_in_use") - 1)
    seat.status = Seat.Status.REVOKED
    seat.revoked_at = timezone.now()
    seat.revoked_by = by
    seat.revoke_reason = reason[:255]
    seat.save()
    end_entitlement(seat, reason=reason, by=by)


# Entitlements ----------------------------------------------------------------------------------------


def _grant(seat: Seat, licence: Licence) -> None:
    now = timezone.now()
    if licence.status != Licence.Status.ACTIVE or licence.ends_at is None or licence.ends_at <= now:
        return
    if live_entitlements(source=LICENCE_SEAT, reference=seat.reference).exists():
        return
    grant_entitlement(
        seat.user,
        licence.tier_code,
        LICENCE_SEAT,
        valid_from=now,
        valid_until=licence.ends_at,
        reason=f"Seat on {licence.organisation.name}'s licence",
        reference=seat.reference,
    )


def end_entitlement(seat: Seat, *, reason: str, by=None) -> int:
    if seat.user_id is None:
        return 0
    return revoke_entitlements(seat.user, source=LICENCE_SEAT, reference=seat.reference, reason=reason, revoked_by=by)


def sync_entitlements(licence: Licence, *, reason: str) -> None:
    """Bring every active seat's entitlement in line with the licence: granted until its end while it is
    active (a changed end re-grants), ended at once otherwise. Inside the caller's transaction."""
    active = Seat.objects.filter(licence=licence, status=Seat.Status.ACTIVE).select_related("user")
    for seat in active:
        current = list(live_entitlements(source=LICENCE_SEAT, reference=seat.reference))
        wanted = licence.status == Licence.Status.ACTIVE and licence.ends_at and licence.ends_at > timezone.now()
        if wanted and len(current) == 1 and current[0].valid_until == licence.ends_at:
            continue
        end_entitlement(seat, reason=reason)
        if wanted:
            _grant(seat, licence)
