"""Rewrite the Redis leaderboards (all time, this week) from the ledger and the league tables."""

from django.core.management.base import BaseCommand

from rewards.services.boards import rebuild


class Command(BaseCommand):
    help = "Rebuild the Redis leaderboards from the database (no-op without Redis)."

    def handle(self, *args, **options):
        counts = rebuild()
        if not counts:
            self.stdout.write("Redis is not configured: the leaderboards are read from the database.")
        for key, n in counts.items():
            self.stdout.write(f"{key}: {n} learners")
