"""Every write to support tickets: opening, replies and notes, status, assignment, rating and the SLA clocks.

SLA clocks (SLAClock): each ticket under a policy gets a first-response and a resolution clock. Each warns at
75% of its target and breaches at 100%, once each (a conditional UPDATE decides who sends the mail, so two
beat runs never both do). Waiting on the customer pauses every running clock; their answer resumes it."""

import math
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from config.errors import ConflictError, DomainError, NotFoundError
from licensing.interface import supported_organisation
from subscriptions.interface import current_tier_code, has_feature

from . import clock, emails
from .models import Priority, SLAClock, SLAPolicy, Ticket, TicketMessage

SUPPORT_GROUP = "Support"
WARN_AT = 0.75
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
# What an attachment may be, recognised by its first bytes (the name and the browser's word are not trusted).
ATTACHMENT_TYPES = {".pdf": (b"%PDF-",), ".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",),
                    ".jpeg": (b"\xff\xd8\xff",), ".txt": ()}  # fmt: skip
STAFF_STATUSES = {Ticket.Status.OPEN, Ticket.Status.WAITING, Ticket.Status.SOLVED, Ticket.Status.CLOSED}
CUSTOMER_STATUSES = {Ticket.Status.SOLVED, Ticket.Status.OPEN}


class SupportError(DomainError):
    code = "support_error"


@dataclass(frozen=True)
class Eligibility:
    tier_code: str
    organisation: object | None


def eligibility(user) -> Eligibility | None:
    """May this person open tickets with an SLA? Members of an organisation with an active licence and anyone
    whose plan includes priority support may; everyone else gets the help page and the contact form."""
    if not getattr(user, "is_authenticated", False):
        return None
    organisation = supported_organisation(user)
    if organisation is None and not has_feature(user, "priority_support"):
        return None
    tier = current_tier_code(user)
    return Eligibility("enterprise" if organisation is not None else tier, organisation)


def validate_attachment(upload) -> None:
    name = (getattr(upload, "name", "") or "").lower()
    suffix = name[name.rfind(".") :] if "." in name else ""
    if suffix not in ATTACHMENT_TYPES:
        raise SupportError(
            "Attach a PDF, PNG, JPEG or plain-text file.", code="attachment_type", fields={"attachment": ["type"]}
        )
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise SupportError(
            "The attachment is larger than 5 MB.", code="attachment_size", fields={"attachment": ["size"]}
        )
    head = upload.read(16)
    upload.seek(0)
    magic = ATTACHMENT_TYPES[suffix]
    if magic and not any(head.startswith(m) for m in magic):
        raise SupportError(
            "The attachment's content does not match its type.", code="attachment_type", fields={"attachment": ["type"]}
        )
    if suffix == ".txt":
        try:
            upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SupportError("A text attachment must be UTF-8.", code="attachment_type") from exc
        finally:
            upload.seek(0)


def open_ticket(user, *, subject: str, description: str, priority: str, attachment=None, now: datetime | None = None):
    """A ticket from an eligible person, its SLA clocks started, the requester told it arrived."""
    who = eligibility(user)
    if who is None:
        raise DomainError(
            "Priority support comes with Lyceum Enterprise: use the contact form instead.",
            code="support_not_included",
            status_code=403,
        )
    subject = " ".join((subject or "").split())
    if not subject or not (description or "").strip():
        raise SupportError("Give the ticket a subject and describe the problem.", code="invalid")
    if priority not in Priority.values:
        raise SupportError("Choose a priority: low, normal, high or urgent.", code="invalid_priority")
    if attachment is not None:
        validate_attachment(attachment)
    now = now or timezone.now()
    policy = SLAPolicy.objects.filter(tier_code=who.tier_code).select_related("calendar").first()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            requester=user,
            organisation=who.organisation,
            subject=subject[:200],
            priority=priority,
            policy=policy,
            attachment=attachment or "",
        )
        TicketMessage.objects.create(ticket=ticket, author=user, body=description.strip())
        if policy is not None:
            _start_clocks(ticket, policy, now)
    emails.send_after_commit("ticket_opened", [user.email], ticket=ticket, reference=ticket.reference)
    return ticket


def _start_clocks(ticket: Ticket, policy: SLAPolicy, now: datetime) -> None:
    target = policy.targets.filter(priority=ticket.priority).first()
    if target is None:
        return
    hours = _hours(policy)
    for kind, minutes in (
        (SLAClock.Kind.FIRST_RESPONSE, target.first_response_minutes),
        (SLAClock.Kind.RESOLUTION, target.resolution_minutes),
    ):
        SLAClock.objects.create(
            ticket=ticket,
            kind=kind,
            target_minutes=minutes,
            started_at=now,
            warn_at=clock.add(now, math.ceil(minutes * WARN_AT), hours),
            due_at=clock.add(now, minutes, hours),
        )


def _hours(policy: SLAPolicy | None):
    return policy.calendar.hours() if policy is not None and policy.calendar_id else None


def _locked(ticket_id: int) -> Ticket:
    try:
        # Lock the ticket row only: its policy is optional (an outer join PostgreSQL cannot lock).
        return Ticket.objects.select_for_update(of=("self",)).select_related("policy__calendar").get(pk=ticket_id)
    except Ticket.DoesNotExist as exc:
        raise NotFoundError("No such ticket.") from exc


# Pausing and resuming -----------------------------------------------------------------------------


def _pause(ticket: Ticket, now: datetime) -> None:
    hours = _hours(ticket.policy)
    for c in ticket.clocks.filter(met_at__isnull=True, due_at__isnull=False):
        c.due_left_minutes = clock.between(now, c.due_at, hours)
        c.warn_left_minutes = clock.between(now, c.warn_at, hours) if c.warn_at else 0
        c.due_at = c.warn_at = None
        c.save(update_fields=["due_left_minutes", "warn_left_minutes", "due_at", "warn_at"])
    ticket.paused_at = now


def _resume(ticket: Ticket, now: datetime) -> None:
    hours = _hours(ticket.policy)
    for c in ticket.clocks.filter(met_at__isnull=True, due_left_minutes__isnull=False):
        c.due_at = clock.add(now, c.due_left_minutes, hours)
        c.warn_at = clock.add(now, c.warn_left_minutes or 0, hours)
        c.due_left_minutes = c.warn_left_minutes = None
        c.save(update_fields=["due_left_minutes", "warn_left_minutes", "due_at", "warn_at"])
    ticket.paused_at = None


def _meet(ticket: Ticket, kind: str, now: datetime) -> None:
    ticket.clocks.filter(kind=kind, met_at__isnull=True).update(met_at=now)


def _apply_status(ticket: Ticket, status: str, now: datetime) -> None:
    if status == ticket.status:
        return
    if ticket.status == Ticket.Status.WAITING:
        _resume(ticket, now)
    if status == Ticket.Status.WAITING:
        _pause(ticket, now)
    if status in (Ticket.Status.SOLVED, Ticket.Status.CLOSED):
        _meet(ticket, SLAClock.Kind.RESOLUTION, now)
        ticket.solved_at = ticket.solved_at or now
    elif ticket.status in (Ticket.Status.SOLVED, Ticket.Status.CLOSED):
        ticket.solved_at = None  # reopened: the resolution target counts again from now
        _restart_resolution(ticket, now)
    ticket.status = status


def _restart_resolution(ticket: Ticket, now: datetime) -> None:
    hours = _hours(ticket.policy)
    for c in ticket.clocks.filter(kind=SLAClock.Kind.RESOLUTION, met_at__isnull=False, breached_at__isnull=True):
        c.met_at = None
        c.warned_at = None
        c.started_at = now
        c.warn_at = clock.add(now, math.ceil(c.target_minutes * WARN_AT), hours)
        c.due_at = clock.add(now, c.target_minutes, hours)
        c.due_left_minutes = c.warn_left_minutes = None
        c.save()


# Staff ----------------------------------------------------------------------------------------------


def _staff_may_work(user) -> None:
    if not user.has_perm("support.work_ticket"):
        raise DomainError("Only Support works tickets.", code="permission_denied", status_code=403)


def staff_reply(ticket: Ticket, *, author, body: str, internal: bool = False, status: str | None = None, now=None):
    """A reply the customer is e-mailed (and which meets the first-response target), or an internal note they
    never see. `status` optionally moves the ticket on in the same step (e.g. waiting on customer)."""
    _staff_may_work(author)
    body = (body or "").strip()
    if not body:
        raise SupportError("Write the reply first.", code="invalid", fields={"body": ["required"]})
    if status is not None and status not in STAFF_STATUSES:
        raise SupportError("Choose a status: open, waiting on customer, solved or closed.", code="invalid_status")
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket.pk)
        message = TicketMessage.objects.create(
            ticket=ticket, author=author, body=body, internal=internal, from_staff=True
        )
        if not internal:
            _meet(ticket, SLAClock.Kind.FIRST_RESPONSE, now)
            if ticket.status == Ticket.Status.NEW and status is None:
                status = Ticket.Status.OPEN
        if ticket.assignee_id is None:
            ticket.assignee = author
        if status is not None:
            _apply_status(ticket, status, now)
        ticket.save()
    if not internal:
        emails.send_after_commit(
            "staff_reply",
            [ticket.requester.email],
            ticket=ticket,
            message=message,
            reference=ticket.reference,
            subject=ticket.subject,
        )
    return message


def set_status(ticket: Ticket, status: str, *, by, now=None) -> Ticket:
    _staff_may_work(by)
    if status not in STAFF_STATUSES:
        raise SupportError("Choose a status: open, waiting on customer, solved or closed.", code="invalid_status")
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket.pk)
        _apply_status(ticket, status, now)
        ticket.save()
    return ticket


def assign(ticket: Ticket, assignee, *, by) -> Ticket:
    _staff_may_work(by)
    if assignee is not None and not assignee.has_perm("support.work_ticket"):
        raise SupportError(f"{assignee} is not in Support.", code="invalid_assignee")
    with transaction.atomic():
        ticket = _locked(ticket.pk)
        ticket.assignee = assignee
        ticket.save(update_fields=["assignee", "updated_at"])
    return ticket


# Customers -----------------------------------------------------------------------------------------


def customer_reply(ticket: Ticket, *, author, body: str, now=None) -> TicketMessage:
    """The customer answers: a ticket waiting on them (or solved) is open again and its clocks run."""
    body = (body or "").strip()
    if not body:
        raise SupportError("Write your message first.", code="invalid", fields={"body": ["required"]})
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket.pk)
        if ticket.status == Ticket.Status.CLOSED:
            raise ConflictError("This ticket is closed: open a new one.", code="ticket_closed")
        message = TicketMessage.objects.create(ticket=ticket, author=author, body=body)
        if ticket.status in (Ticket.Status.WAITING, Ticket.Status.SOLVED):
            _apply_status(ticket, Ticket.Status.OPEN, now)
        ticket.save()
    return message


def customer_update(ticket: Ticket, *, by, status: str | None = None, rating=None, comment=None, now=None) -> Ticket:
    """The customer marks their ticket solved (or reopens it) and rates a solved ticket (1–5 and a comment)."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket.pk)
        if status is not None and status != ticket.status:
            if status not in CUSTOMER_STATUSES:
                raise SupportError("You can mark the ticket solved, or reopen it.", code="invalid_status")
            if ticket.status == Ticket.Status.CLOSED:
                raise ConflictError("This ticket is closed: open a new one.", code="ticket_closed")
            _apply_status(ticket, status, now)
        if rating is not None:
            if ticket.status not in (Ticket.Status.SOLVED, Ticket.Status.CLOSED):
                raise ConflictError("You can rate a ticket once it is solved.", code="not_solved")
            if ticket.rated_at is not None:
                raise ConflictError("You have rated this ticket already.", code="already_rated")
            if not isinstance(rating, int) or not 1 <= rating <= 5:
                raise SupportError("Rate from 1 to 5.", code="invalid_rating", fields={"rating": ["1-5"]})
            ticket.rating, ticket.rating_comment, ticket.rated_at = rating, (comment or "").strip()[:2000], now
        ticket.save()
    return ticket


# The SLA beat ---------------------------------------------------------------------------------------


def _notify_to(ticket: Ticket) -> list[str]:
    if ticket.assignee_id and ticket.assignee.is_active:
        return [ticket.assignee.email]
    support = get_user_model().objects.filter(groups__name=SUPPORT_GROUP, is_active=True, is_staff=True)
    return sorted(support.values_list("email", flat=True))


def check_slas(now: datetime | None = None) -> tuple[int, int]:
    """Warn at 75% and mark the breach at 100% of each running target, once each. Returns (warned, breached)."""
    now = now or timezone.now()
    running = SLAClock.objects.filter(met_at__isnull=True, due_at__isnull=False).select_related(
        "ticket__assignee", "ticket__requester"
    )
    warned = breached = 0
    for c in running.filter(breached_at__isnull=True, due_at__lte=now):
        with transaction.atomic():
            if SLAClock.objects.filter(pk=c.pk, breached_at__isnull=True).update(
                breached_at=now, warned_at=c.warned_at or now
            ):
                breached += 1
                _alert("sla_breach", c)
    for c in running.filter(warned_at__isnull=True, warn_at__lte=now, breached_at__isnull=True):
        with transaction.atomic():
            if SLAClock.objects.filter(pk=c.pk, warned_at__isnull=True).update(warned_at=now):
                warned += 1
                _alert("sla_warning", c)
    return warned, breached


def _alert(kind: str, c: SLAClock) -> None:
    ticket = c.ticket
    emails.send_after_commit(
        kind,
        _notify_to(ticket),
        ticket=ticket,
        clock=c,
        reference=ticket.reference,
        target=c.get_kind_display().lower(),
        due=timezone.localtime(c.due_at).strftime("%-d %b %H:%M %Z"),
    )
