"""Lost webhooks (the emulator drops them) are repaired by the reconciliation task and command."""

import io

import pytest
from django.core import mail
from django.core.management import call_command

from billing import services
from billing.models import Payment, Refund
from billing.tasks import reconcile_recent_payments
from billing.tests.support import CARD_DECLINED, pay, start_test_checkout

live = pytest.mark.django_db(transaction=True)


def _reconcile_command() -> str:
    out = io.StringIO()
    call_command("reconcile_payments", "--hours", "2", stdout=out)
    return out.getvalue()


@live
def test_a_dropped_checkout_webhook_is_repaired_and_reported(stripe_webhooks, test_purpose, user):
    stripe_webhooks.drop()
    start = start_test_checkout(user)
    assert pay(start.url).ok
    deliveries = stripe_webhooks.deliver()
    assert deliveries and {d["status"] for d in deliveries} == {"dropped"}
    payment = Payment.objects.get(pk=start.payment.pk)
    assert payment.status == Payment.Status.PENDING

    output = _reconcile_command()
    assert f"payment {payment.pk}: pending → succeeded" in output
    assert "repaired 1." in output
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.receipt_number
    assert test_purpose.fulfilments(payment) == 1
    assert sum("receipt" in m.subject for m in mail.outbox) == 1

    again = _reconcile_command()
    assert "repaired 0." in again
    assert test_purpose.fulfilments(payment) == 1


@live
def test_a_dropped_decline_and_an_abandoned_checkout_are_repaired(stripe_webhooks, test_purpose, user):
    stripe_webhooks.drop()
    declined = start_test_checkout(user, reference="declined")
    assert not pay(declined.url, CARD_DECLINED).ok
    abandoned = start_test_checkout(user, reference="abandoned")
    stripe_webhooks.running.stripe_client().checkout.sessions.expire(abandoned.payment.stripe_checkout_session_id)
    stripe_webhooks.deliver()
    report = services.reconcile(hours=1)
    assert sorted(report.repaired) == sorted(
        [f"payment {declined.payment.pk}: pending → failed", f"payment {abandoned.payment.pk}: pending → canceled"]
    )
    payment = Payment.objects.get(pk=declined.payment.pk)
    assert payment.status == Payment.Status.FAILED
    assert payment.failure_message.startswith("Your card was declined")
    assert Payment.objects.get(pk=abandoned.payment.pk).status == Payment.Status.CANCELED
    assert test_purpose.fulfilled == []
    assert [m.subject for m in mail.outbox] == [f"Your payment for {payment.description} did not go through"]


@live
def test_a_dropped_refund_made_in_stripe_is_recorded_and_revoked_once(stripe_webhooks, test_purpose, user):
    start = start_test_checkout(user, amount=2000)
    assert pay(start.url).ok
    stripe_webhooks.deliver()
    payment = Payment.objects.get(pk=start.payment.pk)
    stripe_webhooks.drop()
    refund = stripe_webhooks.running.stripe_client().refunds.create(
        params={"payment_intent": payment.stripe_payment_intent_id, "amount": 600}
    )
    stripe_webhooks.deliver()
    assert not Refund.objects.exists()

    summary = reconcile_recent_payments.delay(hours=1).get()  # the Celery beat task
    assert f"refund {refund.id} recorded for payment {payment.pk}" in summary
    stored = Refund.objects.get()
    assert (stored.source, stored.amount, stored.stripe_refund_id) == (Refund.Source.STRIPE, 600, refund.id)
    assert test_purpose.revoked == [("revoke", payment.pk, 600)]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    assert "repaired 0." in services.reconcile(hours=1).summary()
    assert test_purpose.revoked == [("revoke", payment.pk, 600)]


@pytest.mark.django_db
def test_reconciliation_with_stripe_down_fails_loudly_and_changes_nothing(emulator, test_purpose, user):
    from billing.errors import PaymentProviderUnavailable

    start = start_test_checkout(user)
    assert pay(start.url).ok
    emulator.control.fault("error", 1, status=500, path="/v1/checkout/sessions", method="GET")
    with pytest.raises(PaymentProviderUnavailable):
        services.reconcile(hours=1)
    assert Payment.objects.get(pk=start.payment.pk).status == Payment.Status.PENDING
