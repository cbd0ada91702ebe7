"""Reads for support pages, the API and the console; each a fixed number of queries."""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import F, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from licensing.interface import admin_organisation_ids

from .models import Priority, SLAClock, Ticket, TicketMessage


def visible_tickets(user) -> QuerySet[Ticket]:
    """A customer's tickets: their own, and as an org admin their organisation's. Never anyone else's."""
    if not getattr(user, "is_authenticated", False):
        return Ticket.objects.none()
    orgs = admin_organisation_ids(user)
    return (
        Ticket.objects.filter(Q(requester=user) | Q(organisation_id__in=orgs))
        .select_related("requester", "organisation")
        .order_by("-created_at")
    )


def customer_ticket(user, ticket_id) -> Ticket | None:
    try:
        ticket_id = int(ticket_id)
    except (TypeError, ValueError):
        return None
    return (
        visible_tickets(user)
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=TicketMessage.objects.filter(internal=False).select_related("author"),
                to_attr="public_messages",
            ),
            Prefetch("clocks", queryset=SLAClock.objects.order_by("kind")),
        )
        .filter(pk=ticket_id)
        .first()
    )


def staff_queue() -> QuerySet[Ticket]:
    """Open work sorted by time to breach: the running clock due soonest first, paused and met ones last."""
    return (
        Ticket.objects.exclude(status__in=[Ticket.Status.SOLVED, Ticket.Status.CLOSED])
        .annotate(next_due=Min("clocks__due_at", filter=Q(clocks__met_at__isnull=True)))
        .select_related("requester", "assignee", "organisation", "policy")
        .order_by(F("next_due").asc(nulls_last=True), "created_at")
    )


def attainment(*, weeks: int = 8, now: datetime | None = None) -> dict:
    """SLA attainment per week (of the ticket's opening) and per priority: of the targets that are settled
    (met, or breached), the share met in time. Two queries whatever the number of tickets."""
    now = now or timezone.now()
    start = (now - timedelta(weeks=weeks)).date()
    start -= timedelta(days=start.weekday())
    rows = SLAClock.objects.filter(ticket__created_at__date__gte=start).filter(
        Q(met_at__isnull=False) | Q(breached_at__isnull=False)
    )
    counts: dict = defaultdict(lambda: [0, 0])
    for created, priority, breached in rows.values_list("ticket__created_at", "ticket__priority", "breached_at"):
        week = (created.date() - timedelta(days=created.date().weekday())).isoformat()
        for key in (("week", week), ("priority", priority)):
            counts[key][0] += breached is None
            counts[key][1] += 1

    def share(key):
        met, total = counts.get(key, (0, 0))
        return {"met": met, "total": total, "percent": round(100 * met / total) if total else None}

    week_keys = [(start + timedelta(weeks=n)).isoformat() for n in range(weeks + 1)]
    return {
        "weeks": [{"week": w, **share(("week", w))} for w in week_keys],
        "priorities": [{"priority": p.label, **share(("priority", p.value))} for p in Priority],
    }
