"""Demo data for `manage.py seed_demo`: an organisation with an active licence, its admin
(orgadmin@lyceum.test) and a few members with seats, so the organisation pages are alive on first run.
Idempotent (keyed by slug and e-mails). The licence is not backed by a Stripe subscription."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.interface import demo_password
from subscriptions.interface import tier_feature_codes

from .models import Licence, Membership, Organisation, Seat
from .services import keys, organisations, seats

ORG_SLUG = "acme-learning"
ADMIN = ("orgadmin@lyceum.test", "Olga Orgadmin")
MEMBERS = [("ana@acme-learning.test", "Ana Alvarez"), ("ben@acme-learning.test", "Ben Brooks"),
           ("chloe@acme-learning.test", "Chloé Charpentier")]  # fmt: skip
INVITED = "dev@acme-learning.test"


def _user(email: str, name: str):
    from allauth.account.models import EmailAddress

    user, created = get_user_model().objects.get_or_create(email=email, defaults={"display_name": name})
    if created:
        user.set_password(demo_password())
        user.save()
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


@transaction.atomic
def seed_demo() -> int:
    if Organisation.objects.filter(slug=ORG_SLUG).exists() or not tier_feature_codes("enterprise"):
        return 0  # already there, or no Enterprise tier to license (its seed migration was undone)
    admin = _user(*ADMIN)
    org = organisations.create_organisation(
        name="Acme Learning", billing_email="billing@acme-learning.test", owner=admin
    )
    Organisation.objects.filter(pk=org.pk).update(slug=ORG_SLUG)
    org.refresh_from_db()
    now = timezone.now()
    licence = Licence.objects.create(
        organisation=org,
        status=Licence.Status.ACTIVE,
        payment_method="invoice",
        seats=25,
        currency="usd",
        unit_amount=12000,
        term_months=12,
        term_started_at=now - timedelta(days=30),
        ends_at=now + timedelta(days=335),
        paid_at=now - timedelta(days=30),
        invoice_status="paid",
    )
    created = 1
    for email, name in MEMBERS:
        member = _user(email, name)
        _, raw = seats.invite(licence, email, by=admin)
        seats.accept_invitation(raw, member)
        created += 1
    seats.invite(licence, INVITED, by=admin)
    keys.issue_licence_key(licence, reason="demo data")
    Membership.objects.filter(organisation=org, user=admin).update(role=Membership.Role.OWNER)
    return created + Seat.objects.filter(licence=licence, status="invited").count()
