"""Record the result of an operational check (backup, restore drill, dependency audit) for launch_check."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from config.errors import DomainError
from operations.services import record_check


def _time(value: str | None, name: str):
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise CommandError(f"--{name} is not an ISO 8601 date and time: {value!r}")
    return parsed


class Command(BaseCommand):
    help = (
        "Record the result of a check that runs outside the site, e.g. "
        "`record_check restore_drill --passed --summary 'restored to 12:00, ledgers verify'`. "
        "launch_check reads the newest result of each kind."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help="backup, restore_drill, dependency_audit, or another slug")
        outcome = parser.add_mutually_exclusive_group(required=True)
        outcome.add_argument("--passed", action="store_true", help="the check passed")
        outcome.add_argument("--failed", action="store_true", help="the check failed")
        parser.add_argument("--summary", required=True, help="one line a person reads")
        parser.add_argument("--details", default="", help="a JSON object of figures, or @path to a JSON file")
        parser.add_argument("--started-at", default="", help="ISO 8601 with a time zone")
        parser.add_argument("--finished-at", default="", help="ISO 8601 with a time zone (default: now)")
        parser.add_argument("--recorded-by", default="", help="host or job name (default: this host)")

    def handle(self, *args, kind, passed, failed, summary, details, started_at, finished_at, recorded_by, **options):
        parsed_details = None
        if details:
            try:
                if details.startswith("@"):
                    with open(details[1:], encoding="utf-8") as handle:
                        parsed_details = json.load(handle)
                else:
                    parsed_details = json.loads(details)
            except (OSError, ValueError) as exc:
                raise CommandError(f"--details is not a readable JSON object: {exc}")
        try:
            check = record_check(
                kind,
                passed=passed,
                summary=summary,
                details=parsed_details,
                started_at=_time(started_at, "started-at"),
                finished_at=_time(finished_at, "finished-at"),
                recorded_by=recorded_by,
            )
        except DomainError as exc:
            raise CommandError(exc.message)
        self.stdout.write(self.style.SUCCESS(f"Recorded: {check}"))
