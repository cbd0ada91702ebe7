import secrets
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import VerifiedUserFactory
from licensing.models import Licence, Membership, Organisation, Quote, QuoteVersion
from licensing.services import quotes


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")
    billing_email = factory.Sequence(lambda n: f"billing{n}@company.example")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(VerifiedUserFactory)
    role = Membership.Role.MEMBER


class LicenceFactory(factory.django.DjangoModelFactory):
    """An active licence for a year from now, not backed by Stripe (for seat and key rules)."""

    class Meta:
        model = Licence

    organisation = factory.SubFactory(OrganisationFactory)
    status = Licence.Status.ACTIVE
    payment_method = "card"
    seats = 10
    currency = "usd"
    unit_amount = 12000
    term_months = 12
    term_started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=365))


class QuoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quote

    company = factory.Sequence(lambda n: f"Acme {n}")
    contact_name = "Carla Contact"
    contact_email = factory.Sequence(lambda n: f"carla{n}@acme.example")
    seats_wanted = 25
    term_months = 12
    payment_method = "invoice"
    token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))


def sent_quote(*, seats=25, unit_price=12000, discount_bps=0, term_months=12, payment_method="invoice",
               valid_days=30, start_on_acceptance=True, currency="usd") -> tuple[Quote, QuoteVersion]:  # fmt: skip
    quote = QuoteFactory(seats_wanted=seats, term_months=term_months, payment_method=payment_method)
    version = quotes.prepare_version(
        quote,
        seats=seats,
        unit_price=unit_price,
        currency=currency,
        discount_bps=discount_bps,
        term_months=term_months,
        valid_until=timezone.now().date() + timedelta(days=valid_days),
        payment_method=payment_method,
        start_on_acceptance=start_on_acceptance,
    )
    quotes.send_quote(quote)
    quote.refresh_from_db()
    version.refresh_from_db()
    return quote, version


def admin_of(org: Organisation, role: str = Membership.Role.ADMIN):
    return MembershipFactory(organisation=org, role=role).user
