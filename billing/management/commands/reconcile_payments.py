from django.core.management.base import BaseCommand

from billing.services import reconcile


class Command(BaseCommand):
    help = "Repair payments and refunds that lost webhooks left behind, by reading recent objects from Stripe."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=72, help="How far back to look (default 72).")

    def handle(self, *args, hours, **options):
        self.stdout.write(reconcile(hours=hours).summary())
