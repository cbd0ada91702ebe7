"""Management commands: seed_demo is idempotent and prints the logins; migrations are committed."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command

from accounts.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS
from accounts.models import User

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "emails": EmailAddress.objects.count(),
        "groups": Group.objects.count(),
        "memberships": User.groups.through.objects.count(),
    }


def test_seed_demo_is_idempotent_and_prints_the_logins():
    first = seed()
    after_first = counts()
    # The demo logins, plus whatever demo people other apps' seed_demo hooks add (instructors ...).
    assert set(User.objects.values_list("email", flat=True)) >= {email for email, *_ in DEMO_USERS}
    assert "3 new user(s)" in first

    second = seed()
    assert counts() == after_first
    assert "0 new user(s)" in second

    for output in (first, second):
        assert DEMO_PASSWORD in output
        for email, *_ in DEMO_USERS:
            assert email in output


@pytest.mark.django_db(transaction=True)  # the services' e-mails go out when seeding commits
def test_seeding_sends_no_email_and_ends_with_the_logins():
    output = seed()
    assert mail.outbox == [], [message.subject for message in mail.outbox]
    lines = output.strip().splitlines()
    start = lines.index(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    logins = [line.split()[0] for line in lines[start + 1 :]]  # nothing but logins after that line
    assert all(line.startswith("  ") and "@" in line for line in lines[start + 1 :]), lines[start:]
    assert logins[: len(DEMO_USERS)] == [email for email, *_ in DEMO_USERS]
    # It went through the services that do send mail: enrolments (each one confirmed by e-mail) exist.
    assert apps.get_model("marketplace", "Enrollment").objects.exists()


def test_demo_users_can_sign_in_with_their_roles(client):
    seed()
    admin = User.objects.get(email="admin@lyceum.test")
    assert admin.is_superuser and admin.is_staff
    assert set(admin.groups.values_list("name", flat=True)) == {"Support", "Finance", "Content review", "Sales"}
    assert User.objects.get(email="instructor@lyceum.test").is_instructor
    learner = User.objects.get(email="learner@lyceum.test")
    assert not (learner.is_staff or learner.is_instructor)
    assert learner.check_password(DEMO_PASSWORD)
    assert EmailAddress.objects.filter(user=learner, verified=True, primary=True).exists()


def test_seed_demo_does_not_overwrite_a_changed_password():
    seed()
    learner = User.objects.get(email="learner@lyceum.test")
    learner.set_password("my-own-new-password")
    learner.save()
    seed()
    learner.refresh_from_db()
    assert learner.check_password("my-own-new-password")


def test_accounts_migrations_are_committed():
    out = StringIO()
    call_command("makemigrations", "accounts", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
