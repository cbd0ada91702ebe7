"""Contract: every key of Stripe's fixture for a resource is present, with the same JSON type or null.

The fixtures are Stripe's own (fixtures3.json from stripe/openapi), kept outside the project at
../shared/stripe/fixtures3.json or $STRIPE_FIXTURES_PATH; the emulator never reads them.
"""

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from .conftest import APRIL_1, DAY, advance, subscribe

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("STRIPE_FIXTURES_PATH") or PROJECT_ROOT.parent / "shared/stripe/fixtures3.json")


@pytest.fixture(scope="module")
def fixtures():
    if not FIXTURES.exists():
        pytest.skip(f"Stripe fixtures not found at {FIXTURES} (set STRIPE_FIXTURES_PATH)")
    return json.loads(FIXTURES.read_text())["resources"]


def json_type(value):
    if isinstance(value, Decimal):  # the SDK turns *_decimal strings into Decimal
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def mismatches(expected, actual, path="") -> list[str]:
    problems = []
    for key, want in expected.items():
        if key == "metadata" and isinstance(actual.get(key), dict):
            continue  # user-defined keys
        where = f"{path}.{key}" if path else key
        if key not in actual:
            problems.append(f"missing {where}")
            continue
        got = actual[key]
        if got is None or want is None:
            continue
        if json_type(want) != json_type(got):
            problems.append(f"{where}: fixture {json_type(want)}, emulator {json_type(got)}")
        elif isinstance(want, dict):
            problems += mismatches(want, got, where)
        elif isinstance(want, list) and want and got and isinstance(want[0], dict) and isinstance(got[0], dict):
            problems += mismatches(want[0], got[0], where + "[0]")
    return problems


@pytest.fixture(scope="module")
def world(stripe_emulator_session):
    """One of everything, read back from the emulator as plain JSON dicts."""
    emulator = stripe_emulator_session
    emulator.control.reset()
    client = emulator.stripe_client()
    out = {}
    product = client.v1.products.create(params={"name": "Pro"})
    price = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 999, "recurring": {"interval": "month"}}
    )
    one_time = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 4900})
    premium = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 9900, "recurring": {"interval": "month"}}
    )
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": APRIL_1})
    customer = client.v1.customers.create(params={"email": "c@example.com", "test_clock": clock.id})
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": pm.id}})
    sub = subscribe(client, customer, price)
    advance(client, clock, APRIL_1 + 15 * DAY)
    client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": sub["items"].data[0].id, "price": premium.id}],
            "proration_behavior": "create_prorations",
        },
    )
    pi = client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "customer": customer.id, "payment_method": pm.id, "confirm": True}
    )
    refund = client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 500})
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": one_time.id, "quantity": 1}],
            "success_url": "http://x.test/ok",
        }
    )
    setup = client.v1.checkout.sessions.create(
        params={"mode": "setup", "customer": customer.id, "currency": "usd", "success_url": "http://x.test/ok"}
    )
    emulator.control.complete_checkout(setup.id, "4242424242424242")
    setup_intent = client.v1.checkout.sessions.retrieve(setup.id).setup_intent
    account = client.v1.accounts.create(params={"type": "express"})
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "return_url": "http://x.test/r",
            "refresh_url": "http://x.test/f",
            "type": "account_onboarding",
        }
    )
    emulator.control.complete_onboarding(account.id)
    transfer = client.v1.transfers.create(params={"amount": 500, "currency": "usd", "destination": account.id})
    reversal = client.v1.transfers.reversals.create(transfer.id, params={"amount": 100})
    endpoint = client.v1.webhook_endpoints.create(params={"url": "http://127.0.0.1:9/x", "enabled_events": ["*"]})
    coupon = client.v1.coupons.create(params={"percent_off": 25.5, "duration": "forever"})
    invoice = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    sub = client.v1.subscriptions.retrieve(sub.id)
    charge = client.v1.charges.retrieve(pi.latest_charge)
    pending = client.v1.invoice_items.list(params={"customer": customer.id}).data[0]
    out.update(
        {
            "customer": client.v1.customers.retrieve(customer.id),
            "product": client.v1.products.retrieve(product.id),
            "price": client.v1.prices.retrieve(price.id),
            "payment_method": client.v1.payment_methods.retrieve(pm.id),
            "subscription": sub,
            "subscription_item": sub["items"].data[0],
            "plan": sub["items"].data[0].plan,
            "invoice": invoice,
            "line_item": invoice.lines.data[0],
            "invoice_payment": invoice.payments.data[0],
            "invoiceitem": pending,
            "payment_intent": client.v1.payment_intents.retrieve(pi.id),
            "charge": charge,
            "refund": client.v1.refunds.retrieve(refund.id),
            "balance_transaction": client.v1.balance_transactions.retrieve(charge.balance_transaction),
            "checkout.session": client.v1.checkout.sessions.retrieve(session.id),
            "item": client.v1.checkout.sessions.line_items.list(session.id).data[0],
            "account": client.v1.accounts.retrieve(account.id),
            "account_link": link,
            "transfer": client.v1.transfers.retrieve(transfer.id),
            "transfer_reversal": reversal,
            "webhook_endpoint": client.v1.webhook_endpoints.retrieve(endpoint.id),
            "event": client.v1.events.list(params={"limit": 1}).data[0],
            "test_helpers.test_clock": client.v1.test_helpers.test_clocks.retrieve(clock.id),
            "coupon": client.v1.coupons.retrieve(coupon.id),
            "setup_intent": client.v1.setup_intents.retrieve(setup_intent),
        }
    )
    return {kind: obj.to_dict() for kind, obj in out.items()}


RESOURCES = [
    "customer",
    "product",
    "price",
    "payment_method",
    "subscription",
    "subscription_item",
    "plan",
    "invoice",
    "line_item",
    "invoice_payment",
    "invoiceitem",
    "payment_intent",
    "charge",
    "refund",
    "balance_transaction",
    "checkout.session",
    "item",
    "account",
    "account_link",
    "transfer",
    "transfer_reversal",
    "webhook_endpoint",
    "event",
    "test_helpers.test_clock",
    "coupon",
    "setup_intent",
]


@pytest.mark.parametrize("kind", RESOURCES)
def test_resource_matches_stripe_fixture(fixtures, world, kind):
    obj, expected = world[kind], dict(fixtures[kind])
    if kind == "event":  # the fixture's data.object is a plan; each object type is checked on its own
        expected["data"] = {"object": {}}
    assert obj["object"] == expected["object"]
    assert mismatches(expected, obj) == []
