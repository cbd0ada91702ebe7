"""Accounts for the load tests, on top of `manage.py seed_demo`'s catalogue (run by loadtest/run.py).

Creates, idempotently, LOADTEST_ACCOUNTS learners (``load-<n>@loadtest.lyceum.test``, verified, the demo
password) and one personal API key for each of the first LOADTEST_API_KEYS of them, and writes what the
Locust users need (e-mails, password, raw keys, instructors) to the JSON file named on the command line.
Raw keys are shown once by the site, so each run makes fresh ones and revokes the previous run's."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loadtest.settings")

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.interface import User, demo_password  # noqa: E402
from accounts.models import APIKey  # noqa: E402
from accounts.services import create_api_key  # noqa: E402

DOMAIN = "loadtest.lyceum.test"
KEY_NAME = "load test"


def main(out: str) -> None:
    accounts = int(os.environ.get("LOADTEST_ACCOUNTS", "1200"))
    api_keys = int(os.environ.get("LOADTEST_API_KEYS", "200"))
    password = demo_password()
    emails = [f"load-{n}@{DOMAIN}" for n in range(accounts)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    with transaction.atomic():
        template = User(email="template@example.invalid")
        template.set_password(password)  # hashing once: thousands of PBKDF2 rounds would take minutes
        new = [
            User(email=e, display_name=e.split("@")[0], password=template.password) for e in emails if e not in existing
        ]
        User.objects.bulk_create(new, batch_size=500)
        users = list(User.objects.filter(email__in=emails).order_by("id"))
        have = set(EmailAddress.objects.filter(user__in=users).values_list("user_id", flat=True))
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users if u.pk not in have],
            batch_size=500,
        )
        APIKey.objects.filter(user__email__endswith="@" + DOMAIN, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    keys = [create_api_key(user, KEY_NAME)[1] for user in users[:api_keys]]
    instructors = list(
        User.objects.filter(is_instructor=True, courses_taught__status="published")
        .distinct()
        .values_list("email", flat=True)
    )
    Path(out).write_text(
        json.dumps({"learners": emails, "password": password, "api_keys": keys, "instructors": instructors})
    )
    print(
        f"load-test accounts: {len(users)} learners ({len(new)} new), {len(keys)} API keys, {len(instructors)} instructors"
    )


if __name__ == "__main__":
    main(sys.argv[1])
