"""The kinds of operational check launch_check reads, and how fresh a passing result must be."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    slug: str
    label: str
    max_age_hours: int
    how: str  # how to produce one, for the NO-GO reason


KINDS: dict[str, Kind] = {
    kind.slug: kind
    for kind in (
        Kind("backup", "Database backup", 26, "run the pgBackRest backup (ops/backup/) and record it"),
        Kind("restore_drill", "Restore drill", 35 * 24, "run the restore drill (ops/backup/) and record it"),
        Kind("dependency_audit", "Dependency audit (pip-audit)", 8 * 24, "run `make audit` and record it"),
    )
}
