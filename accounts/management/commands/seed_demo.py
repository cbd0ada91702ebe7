from importlib import import_module

from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils.module_loading import module_has_submodule

from accounts.models import User

DEMO_PASSWORD = "lyceum-demo-2026"  # noqa: S105 - demo data only, never in production
# Staff need two-factor authentication for the console: the demo admin's authenticator secret is known, so
# `manage.py demo_totp` can print its current code (or add it to any authenticator app). Demo data only.
DEMO_ADMIN_TOTP_SECRET = "LYCEUMDEMOADMINTOTPSECRETSTAFFAA"  # noqa: S105 - base32, demo data only

DEMO_USERS = [
    # email, display name, staff, superuser, instructor, groups
    ("admin@lyceum.test", "Ada Admin", True, True, False, ["Support", "Finance", "Content review", "Sales"]),
    ("instructor@lyceum.test", "Ines Instructor", False, False, True, []),
    ("learner@lyceum.test", "Leo Learner", False, False, False, []),
]


class Command(BaseCommand):
    help = "Load demo data. Idempotent: running it twice creates nothing twice."

    def handle(self, *args, **options):
        # Demo data goes through the real services, which e-mail the people involved (enrolment confirmations,
        # review notices...). Nobody is to be mailed about demo data, and on the console those e-mails buried
        # the logins under thousands of lines: every message sent while seeding is dropped.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            created, reports = self._seed()
        for line in reports:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new user(s))."))
        self.stdout.write(
            "Staff sign in with a two-factor code: `.venv/bin/python manage.py demo_totp` prints the demo "
            f"admin's current code (or add the secret {DEMO_ADMIN_TOTP_SECRET} to an authenticator app)."
        )
        # The logins come last, so they are what a first run shows just above the site's address.
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, name, staff, *_ in DEMO_USERS:
            role = "staff console" if staff else name.split()[-1].lower()
            self.stdout.write(f"  {email:<26} {role}")
        self.stdout.write(f"  {'orgadmin@lyceum.test':<26} organisation admin (Acme Learning, /orgs/)")

    @transaction.atomic
    def _seed(self) -> tuple[int, list[str]]:
        created = 0
        reports = []
        for email, name, staff, superuser, instructor, groups in DEMO_USERS:
            user, was_created = User.objects.get_or_create(
                email=email,
                defaults={
                    "display_name": name,
                    "is_staff": staff,
                    "is_superuser": superuser,
                    "is_instructor": instructor,
                },
            )
            if was_created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                created += 1
            EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
            for group_name in groups:
                user.groups.add(Group.objects.get(name=group_name))
            if staff:
                _give_demo_authenticator(user)
        # Other apps add their demo data through a `demo.seed_demo()` hook (accounts imports none of them).
        for app_config in apps.get_app_configs():
            if app_config.name != "accounts" and module_has_submodule(app_config.module, "demo"):
                hook = getattr(import_module(f"{app_config.name}.demo"), "seed_demo", None)
                if hook is not None:
                    reports.append(f"{app_config.verbose_name}: {hook()} new item(s).")
        return created, reports


def _give_demo_authenticator(user) -> None:
    """The demo staff account's authenticator app, with the known demo secret (created once)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_ADMIN_TOTP_SECRET)
