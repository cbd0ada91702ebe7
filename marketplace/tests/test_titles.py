"""Issue 12: headings and e-mail subjects say the course's title, not "Course: …"."""

import pytest
from django.urls import reverse

from billing.services import apply_checkout_session, refund_payment
from billing.tests.support import CARD_OK, pay
from marketplace.services import purchases

from .factories import course_with_lessons

pytestmark = pytest.mark.django_db


def test_a_course_payment_is_called_by_the_courses_title(
    client, learner, emulator, mailoutbox, django_capture_on_commit_callbacks
):
    course = course_with_lessons(title="Pragmatic Python")
    start = purchases.start_course_purchase(learner, course)
    assert start.payment.description == "Pragmatic Python"
    assert pay(start.url, CARD_OK, email=learner.email).ok
    with django_capture_on_commit_callbacks(execute=True):
        payment = apply_checkout_session(start.payment.stripe_checkout_session_id)
        refund_payment(payment, amount=None, reason="Bought by mistake.")

    client.force_login(learner)
    page = client.get(reverse("billing:payment_status", args=[payment.pk])).content.decode()
    assert "<h1>Pragmatic Python</h1>" in page
    subjects = [m.subject for m in mailoutbox]
    assert "Your refund for Pragmatic Python" in subjects
    assert not [s for s in subjects if "Course:" in s], subjects
