"""Check the token ledger: every balance equals the sum of its entries, every earning has its cause."""

from django.core.management.base import BaseCommand, CommandError

from rewards.services.ledger import verify


class Command(BaseCommand):
    help = "Verify every token balance against the sum of its entries, and that every earning has its cause."

    def handle(self, *args, **options):
        checked, problems = verify()
        for problem in problems:
            self.stderr.write(f"MISMATCH {problem}")
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in {checked} token balances.")
        self.stdout.write(self.style.SUCCESS(f"All {checked} token balances match their entries."))
