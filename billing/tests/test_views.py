import pytest
from django.urls import reverse

from billing.models import Payment
from billing.tests.support import CARD_DECLINED, pay, start_test_checkout

from .factories import FailedPaymentFactory, PaymentFactory, RefundFactory, SucceededPaymentFactory

pytestmark = pytest.mark.django_db


def status_url(payment):
    return reverse("billing:payment_status", args=[payment.pk])


def test_pending_shows_processing_and_refreshes_itself(client, user):
    payment = PaymentFactory(user=user)
    client.force_login(user)
    page = client.get(status_url(payment) + "?session_id=cs_test_x").content.decode()
    assert "Processing your payment" in page
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "confirming your payment" in page


def test_canceled_checkout_offers_to_return_and_stops_refreshing(client, user):
    payment = PaymentFactory(user=user)
    client.force_login(user)
    page = client.get(status_url(payment) + "?canceled=1").content.decode()
    assert "Payment canceled" in page
    assert "http-equiv" not in page
    assert reverse("billing:payment_retry", args=[payment.pk]) in page


def test_succeeded_shows_success_and_the_receipt_link(client, user):
    payment = SucceededPaymentFactory(user=user)
    client.force_login(user)
    page = client.get(status_url(payment)).content.decode()
    assert "Payment successful" in page
    assert payment.receipt_number in page
    assert reverse("billing:receipt", args=[payment.pk]) in page
    assert "http-equiv" not in page


def test_failed_shows_the_reason_and_a_retry_button(client, user):
    payment = FailedPaymentFactory(user=user)
    client.force_login(user)
    page = client.get(status_url(payment)).content.decode()
    assert "Payment failed" in page
    assert "Your card was declined. Try another card or contact your bank." in page
    assert f'action="{reverse("billing:payment_retry", args=[payment.pk])}"' in page
    assert "Try again" in page
    assert "http-equiv" not in page


def test_retry_sends_the_buyer_back_to_checkout(client, user, emulator, test_purpose):
    start = start_test_checkout(user)
    assert not pay(start.url, CARD_DECLINED).ok
    client.force_login(user)
    response = client.post(reverse("billing:payment_retry", args=[start.payment.pk]))
    assert (response.status_code, response["Location"]) == (302, start.url)


def test_retry_with_stripe_down_explains_and_stays(client, user, emulator, test_purpose):
    start = start_test_checkout(user)
    emulator.control.fault("error", 1, status=500, path="/v1/checkout/sessions", method="GET")
    client.force_login(user)
    response = client.post(reverse("billing:payment_retry", args=[start.payment.pk]), follow=True)
    assert response.redirect_chain[-1][0] == status_url(start.payment)
    assert "Nothing was charged" in response.content.decode()


def test_pages_need_login(client, user):
    payment = SucceededPaymentFactory(user=user)
    for url in (status_url(payment), reverse("billing:receipt", args=[payment.pk]), reverse("billing:payment_history")):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_another_users_payment_pages_are_404(client, user, other_user):
    theirs = SucceededPaymentFactory(user=other_user)
    client.force_login(user)
    assert client.get(status_url(theirs)).status_code == 404
    assert client.get(reverse("billing:receipt", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("billing:payment_retry", args=[theirs.pk])).status_code == 404


def test_staff_can_see_anyones_status_and_receipt_but_not_retry_for_them(client, staff_user, user):
    payment = SucceededPaymentFactory(user=user)
    client.force_login(staff_user)
    assert client.get(status_url(payment)).status_code == 200
    assert client.get(reverse("billing:receipt", args=[payment.pk])).status_code == 200
    failed = FailedPaymentFactory(user=user)
    assert client.post(reverse("billing:payment_retry", args=[failed.pk])).status_code == 404


def test_history_lists_own_payments_only(client, user, other_user):
    mine = [SucceededPaymentFactory(user=user), FailedPaymentFactory(user=user)]
    theirs = SucceededPaymentFactory(user=other_user)
    client.force_login(user)
    page = client.get(reverse("billing:payment_history")).content.decode()
    for payment in mine:
        assert payment.description in page
    assert theirs.description not in page
    assert mine[0].receipt_number in page


def test_history_empty(client, user):
    client.force_login(user)
    assert "not made any payments" in client.get(reverse("billing:payment_history")).content.decode()


def test_history_has_a_fixed_number_of_queries(client, user, django_assert_num_queries):
    client.force_login(user)
    SucceededPaymentFactory(user=user)
    client.get(reverse("billing:payment_history"))  # warm the session and user caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("billing:payment_history"))
    SucceededPaymentFactory.create_batch(20, user=user)
    FailedPaymentFactory.create_batch(10, user=user)  # two pages
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("billing:payment_history"))
    assert response.content.decode().count("<tr>") == 26  # header + a page of 25


def test_receipt_is_printable_with_lines_and_refunds(client, user):
    payment = SucceededPaymentFactory(user=user, amount=2000, amount_refunded=500, status="partially_refunded")
    RefundFactory(payment=payment, amount=500)
    client.force_login(user)
    page = client.get(reverse("billing:receipt", args=[payment.pk])).content.decode()
    assert payment.receipt_number in page
    assert user.email in page
    assert payment.description in page
    assert "$20.00" in page and "-$5.00" in page and "$15.00" in page
    assert "print" in page.lower()
    assert 'class="no-print"' in page


def test_no_receipt_page_for_an_unpaid_payment(client, user):
    payment = PaymentFactory(user=user, status=Payment.Status.FAILED)
    client.force_login(user)
    assert client.get(reverse("billing:receipt", args=[payment.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_returning_after_a_decline_then_a_good_card_shows_success_before_any_webhook(
    client, user, stripe_webhooks, test_purpose
):
    start = start_test_checkout(user, amount=1500)
    assert not pay(start.url, CARD_DECLINED, email=user.email).ok
    stripe_webhooks.deliver()  # payment_intent.payment_failed: our payment is marked failed
    start.payment.refresh_from_db()
    assert start.payment.status == Payment.Status.FAILED

    paid = pay(start.url, email=user.email)
    assert paid.ok
    client.force_login(user)
    # The success URL (webhooks for the good card are still held).
    page = client.get(paid.redirect.replace(stripe_webhooks.base_url, "")).content.decode()
    assert "Payment successful" in page and "Payment failed" not in page
    start.payment.refresh_from_db()
    assert start.payment.status == Payment.Status.SUCCEEDED and start.payment.fulfilled_at
    stripe_webhooks.deliver()
    start.payment.refresh_from_db()
    assert start.payment.status == Payment.Status.SUCCEEDED
    assert test_purpose.fulfilments(start.payment) == 1


def test_the_failed_payment_emails_try_again_link_opens_the_payment_page(client, user, mailoutbox):
    """Issue 12: the link answered a blank 405 (it pointed at the POST-only retry URL)."""
    import re
    from urllib.parse import urlsplit

    from billing.emails import send_payment_email

    payment = FailedPaymentFactory(user=user)
    send_payment_email(str(payment.pk), "failed")
    [email] = mailoutbox
    html = email.alternatives[0][0]
    link = re.search(r'<a href="([^"]+)"[^>]*>Try again</a>', html).group(1)
    assert link in email.body
    client.force_login(user)
    assert urlsplit(link).path == status_url(payment)
    page = client.get(urlsplit(link).path)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Payment failed" in text and "Nothing was charged." in text
    assert f'action="{reverse("billing:payment_retry", args=[payment.pk])}"' in text and ">Try again</button>" in text
    # Links already sent to the retry address open the same page (a GET never starts a payment).
    old = client.get(reverse("billing:payment_retry", args=[payment.pk]))
    assert (old.status_code, old["Location"]) == (302, status_url(payment))


@pytest.mark.django_db(transaction=True)
def test_the_delayed_failed_payment_email_is_not_sent_once_the_learner_paid_on_the_same_page(
    user, stripe_webhooks, test_purpose, mailoutbox
):
    """The e-mail is queued with a countdown (PAYMENT_FAILED_EMAIL_DELAY) for the worker; when it comes due the
    payment is read again. (Eager tasks in `make run` ignore countdowns: this runs the due task itself.)"""
    from billing.tasks import send_payment_email

    start = start_test_checkout(user, amount=1500)
    assert not pay(start.url, CARD_DECLINED, email=user.email).ok
    assert pay(start.url, email=user.email).ok
    stripe_webhooks.deliver()
    start.payment.refresh_from_db()
    assert start.payment.status == Payment.Status.SUCCEEDED
    before = [m.subject for m in mailoutbox]

    send_payment_email.apply(args=(str(start.payment.pk), "failed"))
    assert [m.subject for m in mailoutbox] == before
    assert any(subject.startswith("Your Lyceum receipt") for subject in before)


def test_a_declined_payment_still_failed_when_the_email_comes_due_is_told(user, mailoutbox):
    from billing.tasks import send_payment_email

    payment = FailedPaymentFactory(user=user)
    send_payment_email.apply(args=(str(payment.pk), "failed"))
    assert [m.subject for m in mailoutbox] == [f"Your payment for {payment.description} did not go through"]


def test_a_fulfilment_error_on_return_shows_the_status_page_and_the_webhook_fulfils(
    client, user, stripe_webhooks, test_purpose, caplog
):
    """Issue 13 #10: the payer never sees a 500 for our fulfilment's problem; the webhook path retries it."""
    start = start_test_checkout(user, amount=1500)
    paid = pay(start.url, email=user.email)
    assert paid.ok
    test_purpose.crash_next_fulfil = True
    client.force_login(user)
    response = client.get(paid.redirect.replace(stripe_webhooks.base_url, ""))
    assert response.status_code == 200
    assert "Processing your payment" in response.content.decode()
    assert any(r.levelname == "ERROR" and str(start.payment.pk) in r.getMessage() for r in caplog.records)
    start.payment.refresh_from_db()
    assert start.payment.status == Payment.Status.PENDING  # rolled back whole
    stripe_webhooks.deliver()
    start.payment.refresh_from_db()
    assert start.payment.status == Payment.Status.SUCCEEDED and start.payment.fulfilled_at
    assert test_purpose.fulfilments(start.payment) == 1
