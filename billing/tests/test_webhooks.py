"""Payments end to end: the emulator delivers signed webhooks to the live server, which processes them."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from billing.models import Payment, StripeEvent
from billing.tests.support import CARD_DECLINED, CARD_OK, pay, start_test_checkout

live = pytest.mark.django_db(transaction=True)


def _subjects():
    return [m.subject for m in mail.outbox]


@live
def test_successful_payment_fulfils_once_and_sends_one_receipt(stripe_webhooks, test_purpose, user):
    start = start_test_checkout(user, amount=2500)
    result = pay(start.url, CARD_OK)
    assert result.ok
    assert result.redirect.startswith(stripe_webhooks.base_url + f"/billing/payments/{start.payment.pk}/")
    deliveries = stripe_webhooks.deliver()

    assert {d["status"] for d in deliveries} == {"succeeded"}
    assert "checkout.session.completed" in {d["type"] for d in deliveries}
    payment = Payment.objects.get(pk=start.payment.pk)
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.amount == 2500
    assert payment.stripe_payment_intent_id.startswith("pi_")
    assert re.fullmatch(r"LYC-\d{4}-000001", payment.receipt_number)
    assert test_purpose.fulfilments(payment) == 1
    receipts = [m for m in mail.outbox if "receipt" in m.subject]
    assert len(receipts) == 1
    assert receipts[0].to == [user.email]
    assert payment.receipt_number in receipts[0].subject
    assert receipts[0].alternatives and receipts[0].alternatives[0][1] == "text/html"
    assert StripeEvent.objects.filter(type="checkout.session.completed", status="succeeded").count() == 1


@live
def test_declined_card_fails_in_plain_words_grants_nothing_and_the_retry_succeeds(
    stripe_webhooks, test_purpose, user, client
):
    """(Insufficient funds and the other decline reasons: test_services.)"""
    card, reason = CARD_DECLINED, "Your card was declined. Try another card or contact your bank."
    start = start_test_checkout(user)
    result = pay(start.url, card)
    assert not result.ok
    assert 'role="alert"' in result.page
    stripe_webhooks.deliver()

    payment = Payment.objects.get(pk=start.payment.pk)
    assert payment.status == Payment.Status.FAILED
    assert payment.failure_message == reason
    assert payment.receipt_number is None
    assert test_purpose.fulfilled == []
    assert test_purpose.failed == [("failed", payment.pk)]
    assert len(mail.outbox) == 1
    failed_mail = mail.outbox[0]
    assert "did not go through" in failed_mail.subject
    # "Try again" opens the payment's page, which has the button (the POST-only retry URL answered a 405).
    retry_url = stripe_webhooks.base_url + reverse("billing:payment_status", args=[payment.pk])
    assert retry_url in failed_mail.body
    assert reason in failed_mail.body

    client.force_login(user)
    page = client.get(reverse("billing:payment_status", args=[payment.pk])).content.decode()
    assert reason in page
    assert reverse("billing:payment_retry", args=[payment.pk]) in page
    retry = client.post(reverse("billing:payment_retry", args=[payment.pk]))
    assert retry.status_code == 302
    assert retry["Location"] == start.url  # the same Checkout page while it is open

    assert pay(retry["Location"], CARD_OK).ok
    stripe_webhooks.deliver()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.failure_message == ""
    assert test_purpose.fulfilments(payment) == 1
    assert sum("receipt" in s for s in _subjects()) == 1
    page = client.get(reverse("billing:payment_status", args=[payment.pk])).content.decode()
    assert "Payment successful" in page


@live
def test_duplicated_and_shuffled_webhooks_fulfil_once_and_end_succeeded(stripe_webhooks, test_purpose, user):
    """A decline then a success on one session: every event twice, in a random order (three orders)."""
    import random

    stripe_webhooks.duplicate()
    for seed in (1, 2, 3):
        start = start_test_checkout(user, reference=str(seed))
        assert not pay(start.url, CARD_DECLINED).ok
        assert pay(start.url, CARD_OK).ok
        random.seed(seed)  # the emulator shuffles with the process-wide generator: each seed is another order
        deliveries = stripe_webhooks.deliver()

        assert {d["status"] for d in deliveries} == {"succeeded"}
        by_event: dict[str, int] = {}
        for delivery in deliveries:
            by_event[delivery["event_id"]] = by_event.get(delivery["event_id"], 0) + 1
        assert set(by_event.values()) == {2}
        assert {"checkout.session.completed", "payment_intent.payment_failed"} <= {d["type"] for d in deliveries}
        assert StripeEvent.objects.count() == len(by_event)
        payment = Payment.objects.get(pk=start.payment.pk)
        assert payment.status == Payment.Status.SUCCEEDED
        assert payment.receipt_number.endswith(f"-{seed:06d}")
        assert test_purpose.fulfilments(payment) == 1
    assert sum("receipt" in s for s in _subjects()) == 3


@live
def test_handler_crashing_mid_processing_rolls_back_and_the_replay_fulfils_once(stripe_webhooks, test_purpose, user):
    from billing.webhooks import replay_event

    test_purpose.crash_next_fulfil = True
    start = start_test_checkout(user)
    assert pay(start.url).ok
    deliveries = stripe_webhooks.deliver()
    assert {d["status"] for d in deliveries} == {"succeeded"}  # answered fast; processing failed afterwards

    event = StripeEvent.objects.get(type="checkout.session.completed")
    assert event.status == StripeEvent.Status.FAILED
    assert "worker lost mid-fulfilment" in event.last_error
    payment = Payment.objects.get(pk=start.payment.pk)
    # fulfil ran, then the crash rolled everything back: no success, no receipt number, no grant, no mail
    assert test_purpose.calls == [("fulfil", payment.pk)]
    assert (payment.status, payment.receipt_number, payment.fulfilled_at) == (Payment.Status.PENDING, None, None)
    assert test_purpose.fulfilled == []
    assert mail.outbox == []

    assert replay_event(event).status == StripeEvent.Status.SUCCEEDED
    replay_event(event)  # a second replay is harmless
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert re.fullmatch(r"LYC-\d{4}-000001", payment.receipt_number)  # the rolled-back number was not used up
    assert test_purpose.fulfilments(payment) == 1
    assert sum("receipt" in s for s in _subjects()) == 1
    event.refresh_from_db()
    assert (event.attempts, event.last_error) == (3, "")


@live
def test_refunds_made_in_stripe_arrive_by_webhook_and_revoke_once_with_their_share(stripe_webhooks, test_purpose, user):
    from billing.models import Refund

    start = start_test_checkout(user, amount=2500)
    assert pay(start.url).ok
    stripe_webhooks.deliver()
    payment = Payment.objects.get(pk=start.payment.pk)
    assert payment.status == Payment.Status.SUCCEEDED

    stripe = stripe_webhooks.running.stripe_client()
    stripe_webhooks.duplicate()
    stripe.refunds.create(params={"payment_intent": payment.stripe_payment_intent_id, "amount": 500})
    stripe_webhooks.deliver()
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (Payment.Status.PARTIALLY_REFUNDED, 500)
    refund = Refund.objects.get(payment=payment)
    assert (refund.source, refund.status, refund.amount) == (Refund.Source.STRIPE, Refund.Status.SUCCEEDED, 500)
    assert test_purpose.revoked == [("revoke", payment.pk, 500)]
    assert sum("refund" in s.lower() for s in _subjects()) == 1

    stripe.refunds.create(params={"payment_intent": payment.stripe_payment_intent_id})  # the rest
    stripe_webhooks.deliver()
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (Payment.Status.REFUNDED, 2500)
    assert test_purpose.revoked == [("revoke", payment.pk, 500), ("revoke", payment.pk, 2000)]
    assert Refund.objects.filter(payment=payment, source=Refund.Source.STRIPE).count() == 2
    assert sum("refund" in s.lower() for s in _subjects()) == 2
    assert test_purpose.fulfilments(payment) == 1


@pytest.mark.parametrize("refunded", [2500, 1000])
def test_a_refund_made_in_stripe_before_the_checkout_webhook_is_not_dropped(
    stripe_webhooks, test_purpose, user, refunded
):
    """Issue 13 #13: refunded in Stripe's dashboard before our fulfilment ran. In full: nothing is granted.
    In part: fulfilled, then the refunded share revoked. Whatever order the events arrive in."""
    from billing.models import Refund

    start = start_test_checkout(user, amount=2500)
    assert pay(start.url).ok  # its webhooks are held
    pi = (
        stripe_webhooks.running.stripe_client()
        .v1.checkout.sessions.retrieve(start.payment.stripe_checkout_session_id)
        .payment_intent
    )
    stripe_webhooks.running.stripe_client().v1.refunds.create(params={"payment_intent": pi, "amount": refunded})
    stripe_webhooks.deliver()
    payment = Payment.objects.get(pk=start.payment.pk)
    assert payment.amount_refunded == refunded
    assert payment.status == (Payment.Status.REFUNDED if refunded == 2500 else Payment.Status.PARTIALLY_REFUNDED)
    refund = Refund.objects.get(payment=payment)
    assert refund.status == Refund.Status.SUCCEEDED and refund.revoked_at is not None
    assert not StripeEvent.objects.filter(status=StripeEvent.Status.FAILED).exists()
    if refunded == 2500:
        assert test_purpose.fulfilments(payment) == 0 and test_purpose.revoked == []
    else:
        assert test_purpose.fulfilments(payment) == 1
        assert test_purpose.revoked == [("revoke", payment.pk, 1000)]


@live
def test_a_staff_refund_and_its_webhooks_revoke_once(stripe_webhooks, test_purpose, user, superuser, client):
    """Our own refund is applied when Stripe answers and again when its events arrive (twice each)."""
    from billing.models import Refund

    start = start_test_checkout(user, amount=3000)
    assert pay(start.url).ok
    stripe_webhooks.deliver()
    stripe_webhooks.duplicate()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:billing_payment_refund", args=[start.payment.pk]), {"amount": "1200", "reason": "Moved"}
    )
    assert response.status_code == 302
    deliveries = stripe_webhooks.deliver()
    assert {"charge.refunded", "refund.created"} <= {d["type"] for d in deliveries}
    refund = Refund.objects.get()
    assert (refund.source, refund.amount, refund.status) == (Refund.Source.STAFF, 1200, Refund.Status.SUCCEEDED)
    assert test_purpose.revoked == [("revoke", start.payment.pk, 1200)]
    assert sum(s.startswith("Your refund") for s in _subjects()) == 1
    payment = Payment.objects.get(pk=start.payment.pk)
    assert (payment.status, payment.amount_refunded) == (Payment.Status.PARTIALLY_REFUNDED, 1200)


# Intake ------------------------------------------------------------------------------------


@pytest.fixture
def endpoint(emulator, db):
    """A registered endpoint, without a live server: these tests post to the view themselves."""
    import io

    from django.core.management import call_command
    from djstripe.models import WebhookEndpoint

    call_command("setup_stripe_webhook", base_url="http://testserver", stdout=io.StringIO())
    return WebhookEndpoint.objects.get()


def _event_body(event_id="evt_test_intake"):
    import json

    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "customer.created",
            "created": 1700000000,
            "livemode": False,
            "data": {"object": {"id": "cus_x", "object": "customer"}},
        }
    )


@pytest.mark.django_db
def test_a_signed_event_is_stored_once_and_processed(endpoint, client, django_capture_on_commit_callbacks):
    from stripe_emulator.webhooks import sign

    url = reverse("stripe_webhook", args=[endpoint.djstripe_uuid])
    body = _event_body()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body, endpoint.secret)
            )
        assert response.status_code == 200
    event = StripeEvent.objects.get()
    assert (event.event_id, event.status) == ("evt_test_intake", StripeEvent.Status.IGNORED)


@pytest.mark.django_db
def test_a_bad_signature_is_rejected_and_nothing_processed(endpoint, client, django_capture_on_commit_callbacks):
    from djstripe.models import WebhookEventTrigger

    from stripe_emulator.webhooks import sign

    body = _event_body()
    response = client.post(
        reverse("stripe_webhook", args=[endpoint.djstripe_uuid]),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, "whsec_not_the_secret"),
    )
    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0
    # Nothing unsigned is stored (issue 11, defect 8): a forged post must not cost us a row.
    assert WebhookEventTrigger.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_endpoint_is_404(endpoint, client, django_capture_on_commit_callbacks):
    import uuid

    response = client.post(
        reverse("stripe_webhook", args=[uuid.uuid4()]), _event_body(), content_type="application/json"
    )
    assert response.status_code == 404
    assert StripeEvent.objects.count() == 0


@pytest.mark.django_db
def test_setup_stripe_webhook_registers_once_and_again_after_stripe_forgets(emulator, settings):
    import io

    from django.core.management import CommandError, call_command
    from djstripe.models import WebhookEndpoint

    def run():
        out = io.StringIO()
        call_command("setup_stripe_webhook", base_url="http://testserver", stdout=out)
        return out.getvalue()

    assert "Registered webhook endpoint http://testserver/stripe/webhook/" in run()
    remote = emulator.stripe_client().webhook_endpoints.list().data
    assert len(remote) == 1
    assert remote[0].api_version == settings.STRIPE_API_VERSION
    assert {"checkout.session.completed", "charge.refunded", "payment_intent.payment_failed"} <= set(
        remote[0].enabled_events
    )
    assert "already registered" in run()
    assert len(emulator.stripe_client().webhook_endpoints.list().data) == 1

    emulator.control.reset()  # Stripe no longer knows the endpoint
    assert "Registered" in run()
    assert WebhookEndpoint.objects.count() == 1
    assert WebhookEndpoint.objects.get().secret.startswith("whsec_")

    emulator.control.fault("error", 1, status=500, path="/v1/webhook_endpoints")
    with pytest.raises(CommandError, match="Could not reach Stripe"):
        run()
