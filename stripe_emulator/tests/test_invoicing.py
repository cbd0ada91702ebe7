"""Invoices sent for payment: send_invoice subscriptions, due dates, invoice.sent, the hosted invoice page
paying with the test cards, invoice.overdue; shapes checked against Stripe's fixtures like the rest."""

import requests

from .conftest import APRIL_1, DAY, advance
from .test_contract import FIXTURES, mismatches


def _invoiced(client, clock=None, days=30, quantity=25, amount=10800):
    product = client.v1.products.create(params={"name": "Enterprise licence"})
    price = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": amount,
                "recurring": {"interval": "month", "interval_count": 12}}
    )  # fmt: skip
    params = {"email": "billing@acme.example", "name": "Acme Ltd"}
    if clock:
        params["test_clock"] = clock.id
    customer = client.v1.customers.create(params=params)
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id, "quantity": quantity}],
            "collection_method": "send_invoice",
            "days_until_due": days,
            "metadata": {"purpose": "licence"},
            "expand": ["latest_invoice"],
        }
    )
    return sub, sub.latest_invoice


def test_a_send_invoice_subscription_starts_at_once_with_an_open_invoice_due_in_30_days(client):
    sub, invoice = _invoiced(client)
    assert sub.status == "active" and sub.collection_method == "send_invoice" and sub.days_until_due == 30
    assert invoice.status == "open" and invoice.collection_method == "send_invoice"
    assert invoice.total == 25 * 10800 and invoice.amount_paid == 0
    assert invoice.due_date == invoice.status_transitions.finalized_at + 30 * DAY
    assert invoice.hosted_invoice_url.endswith(f"/invoice/{invoice.id}")
    # Nothing was charged: there is no card, and none is asked for.
    assert (
        client.v1.payment_intents.retrieve(invoice.payments.data[0].payment.payment_intent).status
        == "requires_payment_method"
    )


def test_sending_emits_invoice_sent_and_paying_on_the_hosted_page_emits_invoice_paid(
    client, emulator, webhook_receiver
):
    client.v1.webhook_endpoints.create(params={"url": webhook_receiver.url, "enabled_events": ["*"]})
    sub, invoice = _invoiced(client)
    sent = client.v1.invoices.send_invoice(invoice.id)
    assert sent.status == "open"
    assert webhook_receiver.wait_for("invoice.sent")["data"]["object"]["id"] == invoice.id
    page = requests.get(invoice.hosted_invoice_url, timeout=10)
    assert page.status_code == 200 and "$2,700.00" in page.text and "Due " in page.text
    assert "script" not in page.text and "default-src 'none'" in page.headers["Content-Security-Policy"]
    form = {"email": "ap@acme.example", "expiry": "12 / 34", "cvc": "123", "name": "Acme AP"}
    declined = requests.post(invoice.hosted_invoice_url, data={**form, "card_number": "4000000000000002"}, timeout=10)
    assert declined.status_code == 200 and 'role="alert"' in declined.text and "declined" in declined.text
    assert client.v1.invoices.retrieve(invoice.id).status == "open"
    paid = requests.post(invoice.hosted_invoice_url, data={**form, "card_number": "4242424242424242"}, timeout=10)
    assert "Paid on" in paid.text
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"
    assert webhook_receiver.wait_for("invoice.paid")["data"]["object"]["amount_paid"] == 25 * 10800
    assert requests.post(invoice.hosted_invoice_url, data={**form, "card_number": "4242424242424242"}, timeout=10).ok
    assert client.v1.invoices.retrieve(invoice.id).amount_paid == 25 * 10800  # paid once


def test_only_send_invoice_invoices_can_be_sent(client, clock_customer, pro_prices):
    clock, customer, _ = clock_customer
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": pro_prices[1].id}], "expand": ["latest_invoice"]}
    )
    try:
        client.v1.invoices.send_invoice(sub.latest_invoice.id)
    except Exception as exc:  # noqa: BLE001 - the SDK's InvalidRequestError
        assert "send_invoice" in str(exc)
    else:
        raise AssertionError("a charge_automatically invoice was sent")


def test_an_unpaid_invoice_goes_overdue_once_at_its_due_date_and_paying_recovers(client, emulator, webhook_receiver):
    client.v1.webhook_endpoints.create(params={"url": webhook_receiver.url, "enabled_events": ["*"]})
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": APRIL_1})
    sub, invoice = _invoiced(client, clock=clock, days=30)
    advance(client, clock, APRIL_1 + 29 * DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    advance(client, clock, APRIL_1 + 31 * DAY)
    advance(client, clock, APRIL_1 + 40 * DAY)
    emulator.control.wait()
    assert webhook_receiver.types().count("invoice.overdue") == 1
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    assert emulator.control.pay_invoice(invoice.id)["ok"]
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_invoiced_objects_match_stripes_fixtures(client, emulator):
    import json

    fixtures = json.loads(FIXTURES.read_text())["resources"] if FIXTURES.exists() else None
    if fixtures is None:
        import pytest

        pytest.skip(f"Stripe fixtures not found at {FIXTURES}")
    sub, invoice = _invoiced(client)
    client.v1.invoices.send_invoice(invoice.id)
    emulator.control.pay_invoice(invoice.id)
    for kind, obj in [
        ("invoice", client.v1.invoices.retrieve(invoice.id)),
        ("subscription", client.v1.subscriptions.retrieve(sub.id)),
    ]:
        assert mismatches(fixtures[kind], obj.to_dict()) == [], kind
