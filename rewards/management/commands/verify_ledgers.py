"""Both ledgers at once: instructor earnings (verify_earnings) and reward tokens (verify_tokens)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Verify the instructor earnings ledger and the token ledger; non-zero exit if either is off."

    def handle(self, *args, **options):
        failures = []
        for command in ("verify_earnings", "verify_tokens"):
            try:
                call_command(command, stdout=self.stdout, stderr=self.stderr)
            except CommandError as exc:
                failures.append(f"{command}: {exc}")
        if failures:
            raise CommandError("; ".join(failures))
