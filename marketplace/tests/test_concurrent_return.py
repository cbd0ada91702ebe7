"""The return from Checkout and Stripe's webhook for the same payment, at the same moment.

This is what every buyer causes: the browser comes back to the payment page while Stripe delivers
`checkout.session.completed`, and both try to fulfil. On the embedded default (SQLite, eager Celery)
that used to answer "database is locked". The live server runs each request in its own thread with its
own connection (the SQLite test database is a file, see config/settings/test.py), as under `make run`.
"""

import threading

import pytest
import requests
from django.core import mail

from billing.models import Payment, StripeEvent
from billing.tests.support import CARD_OK, pay
from marketplace.models import Enrollment, Sale
from marketplace.services import purchases

from .factories import course_with_lessons

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 20


def _at_once(*calls):
    """Run the calls in threads released together; return their results or raise the first error."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def test_return_page_and_webhook_at_once_fulfil_once_without_an_error(stripe_webhooks, client, learner):
    client.force_login(learner)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    for round_number in range(ROUNDS):
        course = course_with_lessons()
        start = purchases.start_course_purchase(learner, course)
        paid = pay(start.url, CARD_OK, email=learner.email)  # its webhooks are held until deliver()
        assert paid.ok, paid.page
        assert paid.redirect.startswith(stripe_webhooks.base_url)

        page, deliveries = _at_once(
            lambda url=paid.redirect: requests.get(url, cookies=cookies, timeout=60, allow_redirects=False),
            stripe_webhooks.deliver,
        )

        where = f"round {round_number + 1}"
        assert page.status_code == 200, f"{where}: return page answered {page.status_code}\n{page.text[:2000]}"
        # Whichever finished first, the page tells the truth: paid, or still being confirmed.
        assert "Payment successful" in page.text or "Processing your payment" in page.text, where
        assert deliveries and all(d["status"] == "succeeded" and d["attempts"] == 1 for d in deliveries), (
            where,
            [d for d in deliveries if d["status"] != "succeeded" or d["attempts"] != 1],
        )
        assert not StripeEvent.objects.exclude(status__in=["succeeded", "ignored"]).exists(), (
            where,
            list(StripeEvent.objects.exclude(status="succeeded").values("type", "status", "last_error")),
        )
        payment = Payment.objects.get(pk=start.payment.pk)
        assert payment.status == Payment.Status.SUCCEEDED and payment.fulfilled_at is not None, where
        assert Enrollment.objects.filter(user=learner, course=course).count() == 1, where
        assert Sale.objects.filter(payment=payment).count() == 1, where
        receipts = [m for m in mail.outbox if learner.email in m.to and payment.receipt_number in m.body]
        assert len(receipts) == 1, (where, [m.subject for m in mail.outbox])
