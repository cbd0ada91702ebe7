"""Usage and limits: API calls per month by the organisation's keys (a hard limit answers 429 until the next
month), the usage figures org admins see, and notices to them at 80% and 100% of the seats (per term) and of
the month's API calls, once each."""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .. import selectors
from ..models import ApiUsage, Licence, LimitNotice, Membership, Organisation, Seat
from ..models.organisations import ADMIN_ROLES
from ._common import DomainError, record, send_email

THRESHOLDS = (80, 100)
WHAT = {LimitNotice.Kind.SEATS: "seats", LimitNotice.Kind.API_CALLS: "API calls for the month"}


class OverLimit(DomainError):
    code = "api_limit_reached"
    status_code = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def month_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date().replace(day=1)


def next_month(period: date) -> datetime:
    following = (period.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime(following.year, following.month, 1, tzinfo=UTC)


def record_api_call(org: Organisation, now: datetime | None = None) -> int:
    """Count one call of the organisation's keys this month, or refuse it past the licence's hard limit (the
    refusal says when the next month starts). Returns the month's count."""
    now = now or timezone.now()
    period = month_of(now)
    licence = selectors.current_licence(org)
    limit = licence.api_calls_per_month if licence else None
    ApiUsage.objects.get_or_create(organisation=org, period=period)
    rows = ApiUsage.objects.filter(organisation=org, period=period)
    if limit is not None:
        rows = rows.filter(calls__lt=limit)
    if not rows.update(calls=F("calls") + 1):
        retry = max(int((next_month(period) - now).total_seconds()), 1)
        raise OverLimit(
            f"{org.name} has used its {limit:,} API calls for {period:%B %Y}; calls are accepted again on "
            f"{next_month(period):%-d %B %Y}.",
            retry_after=retry,
        )
    return ApiUsage.objects.get(organisation=org, period=period).calls


@dataclass(frozen=True)
class Usage:
    seats_bought: int
    seats_assigned: int
    seats_active_30_days: int
    invitations_waiting: int
    api_calls: list[tuple[date, int]]  # the last 12 months, oldest first
    api_calls_limit: int | None

    @property
    def api_calls_this_month(self) -> int:
        return self.api_calls[-1][1] if self.api_calls else 0


def usage(org: Organisation, now: datetime | None = None) -> Usage:
    """The organisation's figures: seats bought, assigned (taken), active in the last 30 days (members who
    signed in), invitations waiting, and API calls per month over the last year. A fixed number of queries."""
    now = now or timezone.now()
    licence = selectors.current_licence(org)
    seats = Seat.objects.filter(licence=licence) if licence else Seat.objects.none()
    active = seats.filter(status=Seat.Status.ACTIVE)
    months = [month_of(now)]
    for _ in range(11):
        months.insert(0, month_of(datetime.combine(months[0], datetime.min.time(), UTC) - timedelta(days=1)))
    counts = dict(ApiUsage.objects.filter(organisation=org, period__gte=months[0]).values_list("period", "calls"))
    return Usage(
        seats_bought=licence.seats if licence else 0,
        seats_assigned=active.count(),
        seats_active_30_days=active.filter(user__last_login__gte=now - timedelta(days=30)).count(),
        invitations_waiting=seats.filter(status=Seat.Status.INVITED).count(),
        api_calls=[(m, counts.get(m, 0)) for m in months],
        api_calls_limit=licence.api_calls_per_month if licence else None,
    )


def usage_csv(org: Organisation, now: datetime | None = None) -> str:
    figures = usage(org, now)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "period", "value"])
    stamp = (now or timezone.now()).date().isoformat()
    writer.writerow(["seats_bought", stamp, figures.seats_bought])
    writer.writerow(["seats_assigned", stamp, figures.seats_assigned])
    writer.writerow(["seats_active_30_days", stamp, figures.seats_active_30_days])
    writer.writerow(["invitations_waiting", stamp, figures.invitations_waiting])
    for month, calls in figures.api_calls:
        writer.writerow(["api_calls", f"{month:%Y-%m}", calls])
    return out.getvalue()


def _notify(org: Organisation, kind: str, period: str, threshold: int, **context) -> bool:
    try:
        with transaction.atomic():
            _, created = LimitNotice.objects.get_or_create(
                organisation=org, kind=kind, period=period, threshold=threshold
            )
            if not created:
                return False
            admins = Membership.objects.filter(organisation=org, role__in=ADMIN_ROLES).values_list(
                "user__email", flat=True
            )
            for address in sorted(set(admins)):
                send_email(
                    "limit_notice",
                    address,
                    organisation=org.name,
                    org=org,
                    what=WHAT[kind],
                    threshold=threshold,
                    **context,
                )
    except IntegrityError:
        return False  # another run sent it
    return True


def check_limits(now: datetime | None = None) -> int:
    """Beat: 80% and 100% notices for seats (per licence term) and monthly API calls, once each."""
    now = now or timezone.now()
    sent = 0
    period = month_of(now)
    for licence in Licence.objects.filter(status=Licence.Status.ACTIVE).select_related("organisation"):
        org = licence.organisation
        share = 100 * licence.seats_in_use / licence.seats
        for threshold in THRESHOLDS:
            if share >= threshold and _notify(
                org, LimitNotice.Kind.SEATS, f"licence-{licence.pk}-term-{licence.term_number}", threshold,
                used=licence.seats_in_use, limit=licence.seats,
            ):  # fmt: skip
                record(licence, "limit_notice", limit="seats", threshold=threshold)
                sent += 1
        if licence.api_calls_per_month:
            row = ApiUsage.objects.filter(organisation=org, period=period).first()
            calls = row.calls if row else 0
            for threshold in THRESHOLDS:
                if 100 * calls >= threshold * licence.api_calls_per_month and _notify(
                    org, LimitNotice.Kind.API_CALLS, f"{period:%Y-%m}", threshold,
                    used=calls, limit=licence.api_calls_per_month,
                ):  # fmt: skip
                    record(licence, "limit_notice", limit="api_calls", threshold=threshold)
                    sent += 1
    return sent
