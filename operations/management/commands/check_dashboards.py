"""CI: every Grafana dashboard panel query (ops/grafana/dashboards) reads only metrics the site exports."""

from django.core.management.base import BaseCommand, CommandError

from operations.catalog import check_dashboards


class Command(BaseCommand):
    help = "Check that each Grafana panel query reads only metric names the site really exports."

    def handle(self, *args, **options):
        checked, problems = check_dashboards()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in {checked} dashboard queries.")
        self.stdout.write(self.style.SUCCESS(f"All {checked} dashboard queries read exported metrics."))
