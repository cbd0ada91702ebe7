"""Billing services against the emulator over HTTP (no webhooks: the return-from-Checkout path)."""

import re
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from billing import gateway, services
from billing.errors import PaymentError, PaymentProviderError, PaymentProviderUnavailable, RefundError
from billing.models import Customer, Payment, Refund
from billing.services import CheckoutItem, start_checkout
from billing.tests.support import (
    CARD_DECLINED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_OK,
    paid_payment,
    pay,
    start_test_checkout,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (fulfil records, e-mails) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# Customers ---------------------------------------------------------------------------------


def test_customer_is_created_lazily_once(emulator, user):
    assert not Customer.objects.filter(user=user).exists()
    first = services.get_or_create_customer(user)
    second = services.get_or_create_customer(user)
    assert first.pk == second.pk
    remote = emulator.stripe_client().customers.list(params={"email": user.email})
    assert [c.id for c in remote.data] == [first.stripe_customer_id]
    assert remote.data[0].metadata["user_id"] == str(user.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_purchases_create_one_stripe_customer(emulator, user):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    from billing.models import Customer as CustomerModel

    barrier = threading.Barrier(6)
    results, errors = [], []

    def buy():
        try:
            barrier.wait()
            results.append(services.get_or_create_customer(user).stripe_customer_id)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=buy) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(set(results)) == 1
    assert CustomerModel.objects.filter(user=user).count() == 1
    remote = emulator.stripe_client().customers.list(params={"email": user.email})
    assert len(remote.data) == 1


# Checkout ----------------------------------------------------------------------------------


def test_start_checkout_records_the_payment_and_sends_stripe_what_it_needs(emulator, test_purpose, user):
    start = start_checkout(
        user,
        "test",
        [CheckoutItem(name="Course: Django", amount=1500, currency="USD", quantity=2)],
        description="Course: Django",
        reference="course:7",
        metadata={"coupon": "none"},
    )
    payment = start.payment
    assert payment.status == Payment.Status.PENDING
    assert (payment.amount, payment.currency, payment.reference) == (3000, "usd", "course:7")
    assert start.url == payment.checkout_url
    assert start.url.startswith(emulator.url + "/checkout/cs_test_")
    stripe = emulator.stripe_client()
    session = stripe.checkout.sessions.retrieve(payment.stripe_checkout_session_id)
    assert session.metadata["payment_id"] == str(payment.pk)
    assert session.metadata["coupon"] == "none"
    assert session.client_reference_id == str(payment.pk)
    assert session.amount_total == 3000
    assert session.success_url.endswith(f"/billing/payments/{payment.pk}/?session_id={{CHECKOUT_SESSION_ID}}")
    items = stripe.checkout.sessions.line_items.list(payment.stripe_checkout_session_id)
    assert [(i.description, i.quantity, i.amount_total) for i in items.data] == [("Course: Django", 2, 3000)]

    assert pay(start.url).ok
    applied = services.apply_checkout_session(payment.stripe_checkout_session_id)
    intent = stripe.payment_intents.retrieve(applied.stripe_payment_intent_id)
    assert intent.metadata["payment_id"] == str(payment.pk)  # payment_intent_data[metadata]
    assert intent.description == "Course: Django"
    assert applied.stripe_charge_id.startswith("ch_")


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "Nothing to pay for"),
        ([CheckoutItem(name="x", amount=0, currency="usd")], "more than zero"),
        ([CheckoutItem(name="x", amount=10, currency="xyz")], "not a currency"),
        ([CheckoutItem(name="x", amount=10, currency="usd", quantity=0)], "at least 1"),
        (
            [CheckoutItem(name="x", amount=10, currency="usd"), CheckoutItem(name="y", amount=10, currency="eur")],
            "same currency",
        ),
    ],
)
def test_start_checkout_rejects_bad_items_before_calling_stripe(emulator, test_purpose, user, items, message):
    with pytest.raises(PaymentError, match=message):
        start_checkout(user, "test", items, description="x")
    assert Payment.objects.count() == 0


def test_start_checkout_rejects_an_unknown_purpose(emulator, user):
    with pytest.raises(PaymentError, match="Nothing is sold under"):
        start_checkout(user, "nope", [CheckoutItem(name="x", amount=10, currency="usd")], description="x")


@pytest.mark.parametrize("path", ["/v1/checkout/sessions", "/v1/customers"])
def test_stripe_answering_500_leaves_no_payment_and_a_clear_error(emulator, test_purpose, user, path):
    emulator.control.fault("error", 1, status=500, path=path, method="POST")
    with pytest.raises(PaymentProviderUnavailable) as excinfo:
        start_test_checkout(user)
    assert "Nothing was charged" in excinfo.value.message
    assert excinfo.value.status_code == 503
    assert Payment.objects.count() == 0
    # The fault has passed: trying again works and records one payment.
    start_test_checkout(user)
    assert Payment.objects.count() == 1
    assert Customer.objects.count() == 1


@pytest.fixture
def short_stripe_timeout(settings):
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    gateway.configure()
    yield
    settings.STRIPE_TIMEOUT_SECONDS = 10
    gateway.configure()


def test_stripe_hanging_past_the_timeout_leaves_no_payment_and_a_clear_error(
    emulator, test_purpose, user, short_stripe_timeout
):
    services.get_or_create_customer(user)
    emulator.control.fault("hang", 1, seconds=2, path="/v1/checkout/sessions")
    with pytest.raises(PaymentProviderUnavailable, match="could not reach our payment provider"):
        start_test_checkout(user)
    assert Payment.objects.count() == 0


def test_paying_fulfils_once_with_sequential_receipt_numbers(emulator, test_purpose, user, on_commit):
    with on_commit():
        first = paid_payment(user, reference="a")
        second = paid_payment(user, reference="b")
        services.apply_checkout_session(first.stripe_checkout_session_id)  # the webhook arriving later
    year = first.succeeded_at.year
    assert (first.receipt_number, second.receipt_number) == (f"LYC-{year}-000001", f"LYC-{year}-000002")
    assert test_purpose.fulfilments(first) == test_purpose.fulfilments(second) == 1
    assert sorted(m.subject for m in mail.outbox) == sorted(
        [f"Your Lyceum receipt {first.receipt_number}", f"Your Lyceum receipt {second.receipt_number}"]
    )


@pytest.mark.parametrize(
    ("card", "code", "reason"),
    [
        (CARD_DECLINED, "generic_decline", "Your card was declined. Try another card or contact your bank."),
        (CARD_INSUFFICIENT_FUNDS, "insufficient_funds", "Your card has insufficient funds. Try another card."),
    ],
)
def test_a_declined_payment_is_recorded_from_the_payment_intent(
    emulator, test_purpose, user, on_commit, card, code, reason
):
    start = start_test_checkout(user)
    assert not pay(start.url, card).ok
    session = gateway.retrieve_checkout_session(start.payment.stripe_checkout_session_id)
    with on_commit():
        payment = services.apply_payment_intent(session["payment_intent"]["id"])
        services.apply_payment_intent(session["payment_intent"]["id"])
    assert payment.status == Payment.Status.FAILED
    assert (payment.failure_code, payment.failure_message) == (code, reason)
    assert test_purpose.fulfilled == []
    assert test_purpose.failed == [("failed", payment.pk)]
    assert len(mail.outbox) == 1
    assert reason in mail.outbox[0].body


def test_retry_reuses_the_open_page_and_refuses_a_paid_payment(emulator, test_purpose, user):
    start = start_test_checkout(user)
    assert services.retry_payment(start.payment).url == start.url
    assert pay(start.url, CARD_OK).ok
    with pytest.raises(PaymentError, match="already been made"):
        services.retry_payment(Payment.objects.get(pk=start.payment.pk))
    assert Payment.objects.get(pk=start.payment.pk).status == Payment.Status.SUCCEEDED


def test_an_expired_session_cancels_the_payment_and_retry_starts_a_new_one(emulator, test_purpose, user):
    start = start_test_checkout(user)
    gateway.expire_checkout_session(start.payment.stripe_checkout_session_id)
    payment = services.apply_checkout_session(start.payment.stripe_checkout_session_id)
    assert payment.status == Payment.Status.CANCELED
    assert "expired" in payment.failure_message
    again = services.retry_payment(payment)
    assert again.payment.pk != payment.pk
    assert again.url != start.url


def test_subscription_mode_sends_subscription_metadata_and_records_the_invoice(emulator, test_purpose, user):
    stripe = emulator.stripe_client()
    price = stripe.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro"},
        }
    )
    start = start_checkout(
        user,
        "test",
        [CheckoutItem(name="Pro", amount=900, currency="usd", price_id=price.id)],
        description="Pro monthly",
        mode=Payment.Mode.SUBSCRIPTION,
    )
    assert pay(start.url).ok
    payment = services.apply_checkout_session(start.payment.stripe_checkout_session_id)
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.stripe_subscription_id.startswith("sub_")
    assert payment.stripe_invoice_id.startswith("in_")
    assert payment.stripe_payment_intent_id.startswith("pi_")
    subscription = stripe.subscriptions.retrieve(payment.stripe_subscription_id)
    assert subscription.metadata["payment_id"] == str(payment.pk)


# Refunds -----------------------------------------------------------------------------------


def test_partial_then_full_refund_revokes_once_each_with_its_share(emulator, test_purpose, user, staff_user, on_commit):
    with on_commit():
        payment = paid_payment(user, amount=2000)
    mail.outbox.clear()
    with on_commit():
        partial = services.refund_payment(payment, amount=500, reason="Late start", requested_by=staff_user)
    assert (partial.status, partial.amount, partial.source) == (Refund.Status.SUCCEEDED, 500, Refund.Source.STAFF)
    assert partial.stripe_refund_id.startswith("re_")
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded, payment.refundable_amount) == ("partially_refunded", 500, 1500)
    with on_commit():
        rest = services.refund_payment(payment, amount=None, reason="Cancelled", requested_by=staff_user)
        services.apply_refund(gateway.list_refunds(payment_intent=payment.stripe_payment_intent_id).__next__())
        services.apply_charge_refunds({"payment_intent": payment.stripe_payment_intent_id})  # webhooks, late
    assert rest.amount == 1500
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", 2000)
    assert test_purpose.revoked == [("revoke", payment.pk, 500), ("revoke", payment.pk, 1500)]
    assert [m.subject for m in mail.outbox] == [f"Your refund for {payment.description}"] * 2
    remote = emulator.stripe_client().refunds.list(params={"payment_intent": payment.stripe_payment_intent_id})
    assert sorted(r.amount for r in remote.data) == [500, 1500]
    assert {r.metadata["lyceum_refund_id"] for r in remote.data} == {str(partial.pk), str(rest.pk)}


def test_over_refund_is_rejected_with_a_clear_message(emulator, test_purpose, user):
    payment = paid_payment(user, amount=2000)
    services.refund_payment(payment, amount=1500, reason="Partial")
    with pytest.raises(RefundError, match=r"At most 500 USD minor units can still be refunded") as excinfo:
        services.refund_payment(payment, amount=501, reason="Too much")
    assert excinfo.value.fields == {"amount": ["At most 500."]}
    services.refund_payment(payment, amount=500, reason="The rest")
    with pytest.raises(RefundError, match="already been refunded in full"):
        services.refund_payment(payment, amount=None, reason="Again")
    assert Refund.objects.filter(payment=payment).count() == 2


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [(None, "  ", "Give a reason"), (0, "x", "positive whole number"), (-5, "x", "positive whole number")],
)
def test_refund_needs_a_reason_and_a_positive_amount(emulator, test_purpose, user, amount, reason, message):
    payment = paid_payment(user)
    with pytest.raises(RefundError, match=message):
        services.refund_payment(payment, amount=amount, reason=reason)
    assert not Refund.objects.exists()


def test_an_unpaid_payment_cannot_be_refunded(emulator, test_purpose, user):
    start = start_test_checkout(user)
    with pytest.raises(RefundError, match="Only a payment that went through"):
        services.refund_payment(start.payment, amount=None, reason="x")


def test_a_refund_stripe_refuses_is_marked_failed_and_nothing_revoked(emulator, test_purpose, user):
    payment = paid_payment(user)
    emulator.control.fault("error", 1, status=400, path="/v1/refunds", method="POST")
    with pytest.raises(PaymentProviderError):
        services.refund_payment(payment, amount=None, reason="x")
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.FAILED
    assert refund.failure_message
    assert test_purpose.calls == [("fulfil", payment.pk)]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    # A refused attempt does not block the next one.
    assert services.refund_payment(payment, amount=None, reason="x").status == Refund.Status.SUCCEEDED


def test_a_refund_whose_call_fails_is_unknown_and_sent_again_with_the_same_key(emulator, test_purpose, user):
    """Issue 13 #8: a timeout or 5xx may have refunded: the refund stays pending, a second refund is refused,
    and settling sends the same refund (same idempotency key) again, so Stripe refunds once."""
    payment = paid_payment(user)
    emulator.control.fault("error", 1, status=500, path="/v1/refunds", method="POST")
    with pytest.raises(PaymentProviderUnavailable):
        services.refund_payment(payment, amount=None, reason="x")
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.PENDING
    # Asked again: the same refund is sent with the same key, not a second one.
    again = services.refund_payment(payment, amount=None, reason="x")
    assert again.pk == refund.pk and again.status == Refund.Status.SUCCEEDED
    assert Refund.objects.count() == 1
    remote = emulator.stripe_client().v1.refunds.list(params={"payment_intent": payment.stripe_payment_intent_id})
    assert len(remote.data) == 1
    assert test_purpose.calls == [("fulfil", payment.pk), ("revoke", payment.pk, payment.amount)]


def test_an_unconfirmed_refund_is_settled_by_the_beat_once(emulator, test_purpose, user):
    payment = paid_payment(user)
    emulator.control.fault("error", 1, status=500, path="/v1/refunds", method="POST")
    with pytest.raises(PaymentProviderUnavailable):
        services.refund_payment(payment, amount=500, reason="x")
    with pytest.raises(RefundError) as other:
        services.refund_payment(payment, amount=1500, reason="y")  # the unknown 500 still counts
    assert other.value.code == "amount_too_large"
    refund = Refund.objects.get()
    assert services.settle_pending_refunds() == 0  # too recent: its call may still be answering
    Refund.objects.filter(pk=refund.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    assert services.settle_pending_refunds() == 1
    assert services.settle_pending_refunds() == 0
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.revoked_at is not None
    remote = emulator.stripe_client().v1.refunds.list(params={"payment_intent": payment.stripe_payment_intent_id})
    assert [r.amount for r in remote.data] == [500]


def test_receipt_numbers_do_not_repeat(emulator, test_purpose, user):
    numbers = {paid_payment(user, reference=str(n)).receipt_number for n in range(3)}
    assert len(numbers) == 3
    assert all(re.fullmatch(r"LYC-\d{4}-00000[123]", n) for n in numbers)
