"""Subscriptions, prorations, previews, renewals and dunning driven by test clocks."""

import pytest
import stripe

from stripe_emulator.resources.billing import RETRY_SCHEDULE_DAYS

from .conftest import APRIL_1, DAY, advance, subscribe

HALFWAY = APRIL_1 + 15 * DAY  # April has 30 days: exactly half of the period is left
MAY_1 = APRIL_1 + 30 * DAY


def proration_amounts(invoice):
    return [
        line.amount
        for line in invoice.lines.data
        if (line.parent.subscription_item_details or line.parent.invoice_item_details).proration
    ]


def test_create_subscription_charges_first_invoice(client, clock_customer, pro_prices):
    clock, customer, pm = clock_customer
    _, monthly, _ = pro_prices
    sub = subscribe(client, customer, monthly, metadata={"plan": "pro"})
    assert sub.id.startswith("sub_")
    assert sub.status == "active"
    item = sub["items"].data[0]
    assert item.id.startswith("si_")
    assert (item.current_period_start, item.current_period_end) == (APRIL_1, MAY_1)
    assert item.price.id == monthly.id and item.quantity == 1
    assert sub.start_date == APRIL_1 and sub.test_clock == clock.id
    invoice = sub.latest_invoice
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == ("paid", 999, "subscription_create")
    assert invoice.parent.subscription_details.subscription == sub.id
    payment = invoice.payments.data[0].payment
    pi = client.v1.payment_intents.retrieve(payment.payment_intent, params={"expand": ["latest_charge"]})
    assert pi.status == "succeeded" and pi.latest_charge.amount == 999 and pi.payment_method == pm.id
    listed = client.v1.subscriptions.list(params={"customer": customer.id})
    assert [s.id for s in listed.data] == [sub.id]
    assert client.v1.invoices.list(params={"subscription": sub.id}).data[0].id == invoice.id


def test_upgrade_halfway_with_always_invoice_charges_exact_proration(client, clock_customer, pro_prices):
    clock, customer, _ = clock_customer
    _, monthly, premium = pro_prices
    sub = subscribe(client, customer, monthly)
    advance(client, clock, HALFWAY)
    sub = client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": sub["items"].data[0].id, "price": premium.id}],
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )
    invoice = sub.latest_invoice
    # credit: 999 × 15/30 = 499.5 → 500 (half up); charge: 9900 × 15/30 = 4950
    assert proration_amounts(invoice) == [-500, 4950]
    assert (invoice.amount_due, invoice.amount_paid, invoice.status) == (4450, 4450, "paid")
    assert invoice.billing_reason == "subscription_update"
    assert sub["items"].data[0].price.id == premium.id
    # the period is unchanged and the next renewal bills the new price only
    advance(client, clock, MAY_1 + 3600)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    assert (renewal.billing_reason, renewal.amount_paid) == ("subscription_cycle", 9900)


def test_create_prorations_leaves_pending_items_for_next_invoice(client, clock_customer, pro_prices):
    clock, customer, _ = clock_customer
    _, monthly, premium = pro_prices
    sub = subscribe(client, customer, monthly)
    advance(client, clock, HALFWAY)
    sub = client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": sub["items"].data[0].id, "price": premium.id}],
            "proration_behavior": "create_prorations",
        },
    )
    pending = client.v1.invoice_items.list(params={"customer": customer.id, "pending": True}).data
    assert sorted(ii.amount for ii in pending) == [-500, 4950]
    assert all(ii.proration for ii in pending)
    assert len(client.v1.invoices.list(params={"subscription": sub.id}).data) == 1
    preview = client.v1.invoices.create_preview(params={"customer": customer.id, "subscription": sub.id})
    assert preview.amount_due == 9900 + 4450
    advance(client, clock, MAY_1 + 3600)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    assert renewal.amount_paid == 9900 + 4450
    assert sorted(proration_amounts(renewal)) == [-500, 4950]


def test_proration_behavior_none(client, clock_customer, pro_prices):
    clock, customer, _ = clock_customer
    _, monthly, premium = pro_prices
    sub = subscribe(client, customer, monthly)
    advance(client, clock, HALFWAY)
    client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": sub["items"].data[0].id, "price": premium.id, "quantity": 2}],
            "proration_behavior": "none",
        },
    )
    assert client.v1.invoice_items.list(params={"customer": customer.id, "pending": True}).data == []


def test_create_preview_shows_prorations_and_amount_due(client, clock_customer, pro_prices):
    clock, customer, _ = clock_customer
    _, monthly, premium = pro_prices
    sub = subscribe(client, customer, monthly)
    item_id = sub["items"].data[0].id
    details = {"items": [{"id": item_id, "price": premium.id}], "proration_date": HALFWAY}
    preview = client.v1.invoices.create_preview(
        params={
            "customer": customer.id,
            "subscription": sub.id,
            "subscription_details": {**details, "proration_behavior": "always_invoice"},
        }
    )
    assert proration_amounts(preview) == [-500, 4950]
    assert preview.amount_due == 4450
    assert preview.id.startswith("upcoming_in_")
    upcoming = client.v1.invoices.create_preview(
        params={
            "customer": customer.id,
            "subscription": sub.id,
            "subscription_details": {**details, "proration_behavior": "create_prorations"},
        }
    )
    assert upcoming.amount_due == 4450 + 9900
    # the preview changed nothing
    assert client.v1.subscriptions.retrieve(sub.id)["items"].data[0].price.id == monthly.id


def test_quantity_change_proration(client, clock_customer, pro_prices):
    clock, customer, _ = clock_customer
    _, monthly, _ = pro_prices
    sub = subscribe(client, customer, monthly)
    advance(client, clock, APRIL_1 + 20 * DAY)  # 10 of 30 days left
    sub = client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": sub["items"].data[0].id, "quantity": 3}],
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )
    # credit 999 × 10/30 = 333; charge 2997 × 10/30 = 999
    assert proration_amounts(sub.latest_invoice) == [-333, 999]


def test_renewal_through_test_clock(client, emulator, clock_customer, pro_prices, webhook_receiver):
    clock, customer, _ = clock_customer
    _, monthly, _ = pro_prices
    sub = subscribe(client, customer, monthly)
    client.v1.webhook_endpoints.create(params={"url": webhook_receiver.url, "enabled_events": ["*"]})
    clock = advance(client, clock, MAY_1 + DAY)
    assert (clock.status, clock.frozen_time) == ("ready", MAY_1 + DAY)
    sub = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    item = sub["items"].data[0]
    assert item.current_period_start == MAY_1
    assert item.current_period_end == MAY_1 + 31 * DAY
    assert sub.latest_invoice.billing_reason == "subscription_cycle"
    assert sub.latest_invoice.status == "paid" and sub.latest_invoice.amount_paid == 999
    emulator.control.flush()
    types = webhook_receiver.types()
    for expected in (
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ):
        assert expected in types
    updated = webhook_receiver.wait_for("customer.subscription.updated")
    previous_item = updated["data"]["previous_attributes"]["items"]["data"][0]
    assert previous_item["current_period_end"] == MAY_1
    # two more renewals in one advance
    advance(client, clock, MAY_1 + 62 * DAY)
    assert len(client.v1.invoices.list(params={"subscription": sub.id}).data) == 4


def test_dunning_failure_retries_then_cancellation(client, emulator, clock_customer, pro_prices, webhook_receiver):
    clock, customer, _ = clock_customer
    _, monthly, _ = pro_prices
    sub = subscribe(client, customer, monthly)
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer.id})
    client.v1.subscriptions.update(sub.id, params={"default_payment_method": failing.id})
    client.v1.webhook_endpoints.create(params={"url": webhook_receiver.url, "enabled_events": ["*"]})
    advance(client, clock, MAY_1 + 3600)
    sub = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert sub.status == "past_due"
    invoice = sub.latest_invoice
    assert (invoice.status, invoice.attempt_count) == ("open", 1)
    assert invoice.next_payment_attempt == MAY_1 + RETRY_SCHEDULE_DAYS[0] * DAY
    advance(client, clock, MAY_1 + 4 * DAY)
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert invoice.attempt_count == 2
    assert invoice.next_payment_attempt == MAY_1 + 5 * DAY
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    advance(client, clock, MAY_1 + 8 * DAY)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "canceled"
    assert sub.cancellation_details.reason == "payment_failed"
    assert sub.ended_at == MAY_1 + 7 * DAY
    assert client.v1.invoices.retrieve(invoice.id).attempt_count == 4
    emulator.control.flush()
    types = webhook_receiver.types()
    assert types.count("invoice.payment_failed") == 4
    assert types[-1] == "customer.subscription.deleted" or "customer.subscription.deleted" in types
    assert client.v1.subscriptions.list(params={"customer": customer.id}).data == []
    assert len(client.v1.subscriptions.list(params={"customer": customer.id, "status": "all"}).data) == 1


def test_recovery_by_updating_card_and_paying_invoice(client, clock_customer, pro_prices):
    clock, customer, _ = clock_customer
    _, monthly, _ = pro_prices
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer.id})
    sub = subscribe(client, customer, monthly)
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": failing.id}})
    advance(client, clock, MAY_1 + 3600)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "past_due"
    with pytest.raises(stripe.CardError) as info:
        client.v1.invoices.pay(sub.latest_invoice)
    assert info.value.code == "card_declined"
    good = client.v1.payment_methods.attach("pm_card_mastercard", params={"customer": customer.id})
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": good.id}})
    invoice = client.v1.invoices.pay(sub.latest_invoice)
    assert invoice.status == "paid"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    advance(client, clock, MAY_1 + 10 * DAY)  # no retries left over
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_recovery_on_automatic_retry(client, clock_customer, pro_prices):
    clock, customer, _ = clock_customer
    _, monthly, _ = pro_prices
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer.id})
    sub = subscribe(client, customer, monthly)
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": failing.id}})
    advance(client, clock, MAY_1 + 3600)
    good = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": good.id}})
    advance(client, clock, MAY_1 + 3 * DAY + 60)
    sub = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert sub.status == "active"
    assert (sub.latest_invoice.status, sub.latest_invoice.attempt_count) == ("paid", 2)


def test_cancel_at_period_end_resume_and_cancel_now(client, clock_customer, pro_prices):
    clock, customer, _ = clock_customer
    _, monthly, _ = pro_prices
    sub = subscribe(client, customer, monthly)
    sub = client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    assert sub.cancel_at_period_end is True and sub.cancel_at == MAY_1
    sub = client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": False})
    assert sub.cancel_at_period_end is False and sub.cancel_at is None
    client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    advance(client, clock, MAY_1 + 60)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert (sub.status, sub.ended_at) == ("canceled", MAY_1)
    other = subscribe(client, customer, monthly)
    canceled = client.v1.subscriptions.cancel(other.id)
    assert canceled.status == "canceled" and canceled.canceled_at == MAY_1 + 60


def test_first_payment_failure_incomplete_and_error_if_incomplete(client, pro_prices):
    _, monthly, _ = pro_prices
    customer = client.v1.customers.create(params={"email": "fail@example.com"})
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer.id})
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": monthly.id}],
            "default_payment_method": failing.id,
            "expand": ["latest_invoice"],
        }
    )
    assert sub.status == "incomplete" and sub.latest_invoice.status == "open"
    with pytest.raises(stripe.CardError) as info:
        client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": monthly.id}],
                "default_payment_method": failing.id,
                "payment_behavior": "error_if_incomplete",
            }
        )
    assert info.value.error.decline_code == "generic_decline"


def test_default_incomplete_then_confirm_payment_intent(client, pro_prices):
    _, monthly, _ = pro_prices
    customer = client.v1.customers.create(params={"email": "sca@example.com"})
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": monthly.id}],
            "payment_behavior": "default_incomplete",
            "expand": ["latest_invoice.payments"],
        }
    )
    assert sub.status == "incomplete"
    pi_id = sub.latest_invoice.payments.data[0].payment.payment_intent
    client.v1.payment_intents.confirm(pi_id, params={"payment_method": "pm_card_visa"})
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    assert client.v1.invoices.retrieve(sub.latest_invoice.id).status == "paid"


def test_trial_then_first_charge(client, clock_customer, pro_prices):
    clock, customer, _ = clock_customer
    _, monthly, _ = pro_prices
    sub = subscribe(client, customer, monthly, trial_period_days=14)
    assert sub.status == "trialing" and sub.trial_end == APRIL_1 + 14 * DAY
    assert sub.latest_invoice.amount_due == 0
    advance(client, clock, APRIL_1 + 15 * DAY)
    sub = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert sub.status == "active" and sub.latest_invoice.amount_paid == 999


def test_test_clock_crud(client):
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": APRIL_1, "name": "april"})
    assert clock.id.startswith("clock_") and clock.status == "ready"
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).name == "april"
    assert [c.id for c in client.v1.test_helpers.test_clocks.list().data] == [clock.id]
    with pytest.raises(stripe.InvalidRequestError):
        advance(client, clock, APRIL_1 - 1)
    assert client.v1.test_helpers.test_clocks.delete(clock.id).deleted is True
