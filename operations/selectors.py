"""Reads of the operations app."""

from django.db.models import Max

from .models import OperationalCheck


def latest_check(kind: str, *, passed: bool | None = None) -> OperationalCheck | None:
    """The newest recorded result of this kind (only passing or failing ones when `passed` is given)."""
    checks = OperationalCheck.objects.filter(kind=kind)
    if passed is not None:
        checks = checks.filter(passed=passed)
    return checks.order_by("-finished_at", "-pk").first()


def latest_checks(kinds) -> dict[str, OperationalCheck]:
    """The newest result of each kind, in two queries whatever the history's length."""
    newest = OperationalCheck.objects.filter(kind__in=list(kinds)).values("kind").annotate(last=Max("finished_at"))
    rows = OperationalCheck.objects.none()
    for row in newest:
        rows = rows | OperationalCheck.objects.filter(kind=row["kind"], finished_at=row["last"])
    found: dict[str, OperationalCheck] = {}
    for check in rows.order_by("kind", "-pk"):
        found.setdefault(check.kind, check)
    return found
