"""dj-stripe 2.11 can mirror objects read from the emulator (needs Django settings and a database).

Objects are read with the module-level SDK (``stripe.Customer.retrieve``), as dj-stripe does itself,
so sync_from_stripe_data gets the StripeObjects (lists with auto_paging_iter) it expects.
"""

import os

import pytest

pytest.importorskip("django")
pytest.importorskip("djstripe")


def _django_configured() -> bool:
    from django.conf import settings

    return bool(os.environ.get("DJANGO_SETTINGS_MODULE")) or settings.configured


if _django_configured():
    pytestmark = pytest.mark.django_db
else:  # without pytest-django the django_db marker is not even registered
    pytestmark = pytest.mark.skip(reason="Django settings are not configured (DJANGO_SETTINGS_MODULE unset)")


@pytest.fixture
def stripe_world(emulator):
    stripe = emulator.configure_global_stripe()
    client = emulator.stripe_client()
    product = client.v1.products.create(params={"name": "Lyceum Pro"})
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 999,
            "recurring": {"interval": "month"},
            "lookup_key": "pro_monthly",
        }
    )
    customer = client.v1.customers.create(params={"email": "sync@example.com", "name": "Sync Test"})
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": pm.id}})
    sub = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    pi = client.v1.payment_intents.create(
        params={"amount": 4900, "currency": "usd", "customer": customer.id, "payment_method": pm.id, "confirm": True}
    )
    yield (
        stripe,
        {
            "Product": product.id,
            "Price": price.id,
            "Customer": customer.id,
            "PaymentMethod": pm.id,
            "PaymentIntent": pi.id,
            "Charge": pi.latest_charge,
            "Subscription": sub.id,
            "Invoice": sub.latest_invoice,
        },
    )


def test_sync_from_stripe_data(stripe_world):
    from djstripe import models

    stripe, ids = stripe_world
    synced = {}
    for name, obj_id in ids.items():
        data = getattr(stripe, name).retrieve(obj_id)
        synced[name] = getattr(models, name).sync_from_stripe_data(data, api_key=stripe.api_key)
        assert synced[name].id == obj_id
    assert synced["Product"].name == "Lyceum Pro"
    assert synced["Price"].stripe_data["unit_amount"] == 999 and synced["Price"].lookup_key == "pro_monthly"
    assert synced["Customer"].email == "sync@example.com"
    assert synced["PaymentMethod"].customer_id == synced["Customer"].id
    assert synced["PaymentIntent"].stripe_data["status"] == "succeeded"
    assert synced["PaymentIntent"].customer_id == synced["Customer"].id
    assert synced["Charge"].status == "succeeded"
    assert synced["Subscription"].stripe_data["status"] == "active"
    assert synced["Subscription"].items.count() == 1
    assert synced["Invoice"].stripe_data["status"] == "paid"
