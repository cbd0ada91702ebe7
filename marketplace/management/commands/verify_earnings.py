"""Check that every instructor balance equals the sum of its ledger entries. Exits non-zero on a mismatch."""

from django.core.management.base import BaseCommand, CommandError

from marketplace.services.earnings import verify_balances


class Command(BaseCommand):
    help = "Verify every instructor balance against the sum of its earnings entries."

    def handle(self, *args, **options):
        checked, mismatches = verify_balances()
        for mismatch in mismatches:
            self.stderr.write(f"MISMATCH {mismatch}")
        if mismatches:
            raise CommandError(f"{len(mismatches)} of {checked} balances do not match their entries.")
        self.stdout.write(self.style.SUCCESS(f"All {checked} balances match their entries."))
