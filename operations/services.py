"""Writes of the operations app."""

import re
import socket
from datetime import datetime

from django.utils import timezone

from config.errors import DomainError

from .models import OperationalCheck

_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class OperationsError(DomainError):
    code = "invalid_check"


def record_check(
    kind: str,
    *,
    passed: bool,
    summary: str,
    details: dict | None = None,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    recorded_by: str = "",
) -> OperationalCheck:
    """Append the result of one run of an operational check (a backup, a restore drill, an audit)."""
    kind = (kind or "").strip()
    if not _SLUG.match(kind):
        raise OperationsError(
            "A check kind is a lower-case slug such as restore_drill.", code="invalid_kind", fields={"kind": [kind]}
        )
    summary = (summary or "").strip()
    if not summary or "\n" in summary:
        raise OperationsError("Give a one-line summary of the result.", code="invalid_summary")
    if details is not None and not isinstance(details, dict):
        raise OperationsError("Details are a JSON object.", code="invalid_details")
    finished_at = finished_at or timezone.now()
    now = timezone.now()
    for name, value in (("started_at", started_at), ("finished_at", finished_at)):
        if value is not None and timezone.is_naive(value):
            raise OperationsError(f"{name} needs a time zone (e.g. 2026-01-01T12:00:00Z).", code="naive_time")
        if value is not None and value > now + timezone.timedelta(minutes=5):
            raise OperationsError(f"{name} is in the future.", code="future_time")
    if started_at is not None and started_at > finished_at:
        raise OperationsError("A check cannot finish before it started.", code="invalid_times")
    return OperationalCheck.objects.create(
        kind=kind,
        passed=bool(passed),
        summary=summary[:255],
        details=details or {},
        started_at=started_at,
        finished_at=finished_at,
        recorded_by=(recorded_by or socket.gethostname())[:120],
    )
