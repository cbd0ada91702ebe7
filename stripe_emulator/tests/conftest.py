"""Fixtures for the emulator's own tests: every test talks to it over HTTP with the SDK."""

import datetime

import pytest

from stripe_emulator.testing import emulator, stripe_client, stripe_emulator_session, webhook_receiver  # noqa: F401

APRIL_1 = int(datetime.datetime(2026, 4, 1, tzinfo=datetime.UTC).timestamp())  # a 30-day month follows
DAY = 86400


@pytest.fixture
def client(stripe_client):  # noqa: F811
    return stripe_client


@pytest.fixture
def pro_prices(client):
    product = client.v1.products.create(params={"name": "Lyceum Pro"})
    monthly = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 999, "recurring": {"interval": "month"}}
    )
    premium = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 9900, "recurring": {"interval": "month"}}
    )
    return product, monthly, premium


@pytest.fixture
def clock_customer(client):
    """A customer on a test clock frozen at 2026-04-01 00:00 UTC with a Visa as default."""
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": APRIL_1})
    customer = client.v1.customers.create(params={"email": "learner@example.com", "test_clock": clock.id})
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    customer = client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": pm.id}})
    return clock, customer, pm


def subscribe(client, customer, price, **params):
    return client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "expand": ["latest_invoice"], **params}
    )


def advance(client, clock, frozen_time):
    return client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": frozen_time})
