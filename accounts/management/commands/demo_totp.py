"""Print the demo staff account's current two-factor code (demo data only: its secret is public)."""

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from .seed_demo import DEMO_ADMIN_TOTP_SECRET, DEMO_USERS


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo admin (admin@lyceum.test). Refused in production."

    def handle(self, *args, **options):
        if settings.ENVIRONMENT == "production":
            raise CommandError("The demo admin does not exist in production.")
        counter = next(iter(yield_hotp_counters_from_time()))
        code = format_hotp_value(hotp_value(DEMO_ADMIN_TOTP_SECRET, counter))
        self.stdout.write(f"{DEMO_USERS[0][0]}: {code} (valid for up to 30 seconds)")
