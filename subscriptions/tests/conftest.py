import io
import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command

from accounts.tests.factories import StaffUserFactory, SuperUserFactory, VerifiedUserFactory
from billing.models import Customer
from subscriptions.models import Tier

DAY = 86400


@pytest.fixture
def user(db):
    return VerifiedUserFactory()


@pytest.fixture
def other_user(db):
    return VerifiedUserFactory()


@pytest.fixture
def staff_user(db):
    return StaffUserFactory()


@pytest.fixture
def superuser(db):
    return SuperUserFactory()


@pytest.fixture
def catalog(emulator, db):  # noqa: F811
    """Stripe products and prices for the seeded tiers, created in the emulator."""
    call_command("sync_stripe_catalog", stdout=io.StringIO())
    return {t.code: t for t in Tier.objects.all()}


class Clock:
    """A Stripe test clock for one customer, with our own clock (time-machine) moved along with it.

    Renewals, retries and period-end cancellations happen in the emulator when the clock advances;
    our code reads the same "now" through timezone.now(), so nothing in our code fakes dates.
    """

    def __init__(self, client, traveller, start: int):
        self.client = client
        self.traveller = traveller
        self.now = start
        self.id = client.test_helpers.test_clocks.create(params={"frozen_time": start}).id

    def customer_for(self, user) -> str:
        customer = self.client.customers.create(params={"email": user.email, "test_clock": self.id})
        Customer.objects.create(user=user, stripe_customer_id=customer.id)
        return customer.id

    def advance_to(self, target: int) -> None:
        self.traveller.move_to(datetime.fromtimestamp(target, tz=UTC))
        self.client.test_helpers.test_clocks.advance(self.id, params={"frozen_time": target})
        self.now = target

    def advance(self, seconds: int) -> None:
        self.advance_to(self.now + seconds)


@pytest.fixture
def clock(emulator):  # noqa: F811
    start = int(time.time())
    with time_machine.travel(datetime.fromtimestamp(start, tz=UTC), tick=True) as traveller:
        yield Clock(emulator.stripe_client(), traveller, start)
