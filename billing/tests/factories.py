"""Payments made without Stripe, for pages and lists that only read our rows."""

import factory
from django.utils import timezone

from accounts.tests.factories import VerifiedUserFactory
from billing.models import Payment, Refund, StripeEvent


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    user = factory.SubFactory(VerifiedUserFactory)
    purpose = "test"
    reference = factory.Sequence(str)
    description = factory.Sequence(lambda n: f"Test item {n}")
    amount = 1999
    currency = "usd"
    line_items = factory.LazyAttribute(
        lambda p: [{"name": p.description, "amount": p.amount, "currency": p.currency, "quantity": 1, "price": ""}]
    )
    stripe_checkout_session_id = factory.Sequence(lambda n: f"cs_test_factory{n}")
    checkout_url = "http://127.0.0.1:1/checkout/cs_test_factory"


class SucceededPaymentFactory(PaymentFactory):
    status = Payment.Status.SUCCEEDED
    succeeded_at = factory.LazyFunction(timezone.now)
    fulfilled_at = factory.LazyFunction(timezone.now)
    receipt_number = factory.Sequence(lambda n: f"LYC-2000-{n:06d}")
    stripe_payment_intent_id = factory.Sequence(lambda n: f"pi_factory{n}")


class FailedPaymentFactory(PaymentFactory):
    status = Payment.Status.FAILED
    failure_code = "generic_decline"
    failure_message = "Your card was declined. Try another card or contact your bank."


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    payment = factory.SubFactory(SucceededPaymentFactory)
    amount = 500
    reason = "Requested by the learner"
    status = Refund.Status.SUCCEEDED


class StripeEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StripeEvent

    event_id = factory.Sequence(lambda n: f"evt_factory{n}")
    type = "checkout.session.completed"
    payload = factory.LazyAttribute(lambda e: {"id": e.event_id, "type": e.type, "data": {"object": {"id": ""}}})
