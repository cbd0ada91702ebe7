"""Issue 13 #2: every invoice Stripe charges is a Payment with a receipt, once, and counts in revenue."""

import pytest
from django.core import mail

from billing.models import Payment
from billing.selectors import revenue_summary
from subscriptions.services import plan_changes

from .conftest import DAY
from .test_lifecycle import subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def _charged(emulator, customer_id: str) -> list:
    invoices = emulator.stripe_client().v1.invoices.list(params={"customer": customer_id, "limit": 100}).data
    return [inv for inv in invoices if inv.status == "paid" and inv.amount_paid]


def _gross_usd() -> int:
    totals = revenue_summary()["30 days"]["totals"]
    return sum(t["gross"] for t in totals if t["currency"] == "usd")


def test_an_upgrade_and_a_renewal_each_become_one_payment_with_a_receipt(stripe_webhooks, catalog, clock, user):
    customer = clock.customer_for(user)
    stripe_webhooks.duplicate()  # every event delivered twice: still one payment per invoice
    sub = subscribe(user, stripe_webhooks)
    clock.advance(10 * DAY)
    stripe_webhooks.deliver()
    preview = plan_changes.preview_change(user, "enterprise", "month")
    result = plan_changes.change_plan(user, "enterprise", "month", proration_date=preview.proration_date)
    stripe_webhooks.deliver()
    assert result.amount_charged == preview.amount_due_now > 0

    proration = Payment.objects.get(user=user, metadata__billing_reason="subscription_update")
    assert proration.amount == preview.amount_due_now and proration.currency == "usd"
    assert proration.status == Payment.Status.SUCCEEDED and proration.receipt_number
    assert proration.stripe_subscription_id == sub.stripe_subscription_id
    assert proration.stripe_amount == proration.amount and not proration.amount_mismatch
    assert "plan change" in proration.description
    receipts = [m for m in mail.outbox if proration.receipt_number in m.subject]
    assert len(receipts) == 1 and receipts[0].alternatives  # HTML and text
    # The revenue dashboard's gross is what Stripe charged: the first payment and the proration.
    assert (
        _gross_usd()
        == sum(inv.amount_paid for inv in _charged(stripe_webhooks.running, customer))
        == 999 + (proration.amount)
    )

    # The renewal a month later is charged too, and recorded once.
    sub.refresh_from_db()
    clock.advance_to(int(sub.current_period_end.timestamp()) + 3600)
    stripe_webhooks.deliver()
    renewal = Payment.objects.get(user=user, metadata__billing_reason="subscription_cycle")
    assert renewal.amount == 9900

    charged = _charged(stripe_webhooks.running, customer)
    assert len(charged) == 3  # first payment, proration, renewal
    ours = Payment.objects.filter(user=user, status=Payment.Status.SUCCEEDED)
    assert sorted(ours.values_list("stripe_invoice_id", flat=True)) == sorted(inv.id for inv in charged)
    assert sum(1 for m in mail.outbox if "receipt" in m.subject) == 3


def test_reconciliation_records_a_charged_invoice_whose_webhooks_were_lost(stripe_webhooks, catalog, clock, user):
    from billing.services import reconcile

    clock.customer_for(user)
    subscribe(user, stripe_webhooks)
    clock.advance(10 * DAY)
    stripe_webhooks.deliver()
    stripe_webhooks.drop()  # every webhook from here on is lost
    plan_changes.change_plan(user, "enterprise", "month")
    stripe_webhooks.deliver()
    assert not Payment.objects.filter(metadata__billing_reason="subscription_update").exists()

    first = reconcile(hours=24 * 40)
    assert any("invoice" in line for line in first.repaired), first.summary()
    assert Payment.objects.filter(user=user, metadata__billing_reason="subscription_update").count() == 1
    second = reconcile(hours=24 * 40)
    assert second.repaired == [], second.summary()
