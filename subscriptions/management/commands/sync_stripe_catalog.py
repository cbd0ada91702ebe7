from django.core.management.base import BaseCommand, CommandError

from config.errors import DomainError
from subscriptions.catalog import sync_catalog


class Command(BaseCommand):
    help = "Create or update the Stripe products and prices for the subscription tiers (idempotent, by lookup_key)."

    def handle(self, *args, **options):
        try:
            report = sync_catalog()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Stripe catalogue: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged."
        )
        for line in report.created + report.updated:
            self.stdout.write(f"  - {line}")
