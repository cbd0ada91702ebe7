"""manage.py launch_check: the go/no-go list, GO or NO-GO per item with the reason; exit 0 only when all GO."""

import json

from django.core.management.base import BaseCommand

from operations.launch import run_all


class Command(BaseCommand):
    help = "Run the launch go/no-go list against this configuration. Exit status 0 only when every item is GO."
    requires_system_checks = []  # the list runs `check --deploy` itself and reports it as one item

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the results as JSON for machines")

    def handle(self, *args, **options):
        results = run_all()
        go = all(result.go for result in results)
        if options["json"]:
            self.stdout.write(json.dumps({"go": go, "items": [result.as_dict() for result in results]}, indent=2))
        else:
            width = max(len(result.label) for result in results)
            for result in results:
                verdict = self.style.SUCCESS("GO   ") if result.go else self.style.ERROR("NO-GO")
                self.stdout.write(f"{verdict}  {result.label.ljust(width)}  {result.reason}")
            failed = sum(not result.go for result in results)
            summary = "GO: every item passed." if go else f"NO-GO: {failed} of {len(results)} item(s) failed."
            self.stdout.write(self.style.SUCCESS(summary) if go else self.style.ERROR(summary))
        if not go:
            raise SystemExit(1)
