"""Buying a course end to end: the emulator's Checkout, signed webhooks to the live server, billing's refund."""

import uuid

import pytest
from django.core import mail
from rest_framework.test import APIClient

from billing.models import Payment
from billing.services import refund_payment
from billing.tests.support import CARD_DECLINED, CARD_OK, pay
from marketplace import access
from marketplace.models import Course, Enrollment
from marketplace.services import purchases

from .factories import course_with_lessons

pytestmark = pytest.mark.django_db(transaction=True)


def test_duplicated_webhooks_enrol_once(stripe_webhooks, learner):
    course = course_with_lessons()
    start = purchases.start_course_purchase(learner, course)
    assert start.payment.reference == f"course:{course.pk}" and start.payment.amount == 1999
    assert not pay(start.url, CARD_DECLINED).ok
    stripe_webhooks.duplicate()  # every event delivered twice
    assert pay(start.url, CARD_OK).ok
    deliveries = stripe_webhooks.deliver()
    completed = [d for d in deliveries if d["type"] == "checkout.session.completed"]
    assert len(completed) >= 2

    payment = Payment.objects.get(pk=start.payment.pk)
    assert payment.status == Payment.Status.SUCCEEDED and payment.fulfilled_at
    enrollments = Enrollment.objects.filter(user=learner, course=course)
    assert enrollments.count() == 1
    assert enrollments.get().source == Enrollment.Source.PURCHASE and enrollments.get().payment_id == payment.pk
    assert Course.objects.get(pk=course.pk).enrollment_count == 1
    assert [m.subject for m in mail.outbox].count(f"You are enrolled in “{course.title}”") == 1
    assert access.course_access(learner, course).reason == "enrolled"


def test_full_refund_revokes_partial_keeps(stripe_webhooks, learner, staff_user):
    course = course_with_lessons()
    start = purchases.start_course_purchase(learner, course)
    assert pay(start.url, CARD_OK).ok
    stripe_webhooks.deliver()
    payment = Payment.objects.get(pk=start.payment.pk)
    refund_payment(payment, amount=500, reason="Goodwill", requested_by=staff_user)
    stripe_webhooks.deliver()
    assert access.course_access(learner, course).allowed
    refund_payment(Payment.objects.get(pk=payment.pk), amount=None, reason="Changed mind", requested_by=staff_user)
    stripe_webhooks.deliver()
    enrollment = Enrollment.objects.get(user=learner, course=course)
    assert enrollment.revoked_at is not None and "Changed mind" in enrollment.revoke_reason
    assert not access.course_access(learner, course).allowed
    assert Course.objects.get(pk=course.pk).enrollment_count == 0


def test_api_purchase_is_idempotent(emulator, learner):
    course = course_with_lessons()
    api = APIClient()
    api.force_authenticate(learner)
    key = str(uuid.uuid4())
    first = api.post(f"/api/v1/courses/{course.pk}/purchase/", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201, first.json()
    assert first.json()["checkout_url"].startswith(emulator.url)
    again = api.post(f"/api/v1/courses/{course.pk}/purchase/", HTTP_IDEMPOTENCY_KEY=key)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Payment.objects.filter(user=learner, purpose="course").count() == 1
    other = course_with_lessons()
    reused = api.post(f"/api/v1/courses/{other.pk}/purchase/", HTTP_IDEMPOTENCY_KEY=key)
    assert reused.status_code == 422


def test_buy_view_redirects_to_checkout(client, emulator, learner):
    course = course_with_lessons()
    client.force_login(learner)
    response = client.post(f"/courses/{course.slug}/buy/")
    assert response.status_code == 302 and response.url.startswith(emulator.url + "/checkout/")


def test_generic_payments_api_sells_courses(emulator, learner):
    course = course_with_lessons()
    api = APIClient()
    api.force_authenticate(learner)
    response = api.post(
        "/api/v1/payments/",
        {"purpose": "course", "reference": f"course:{course.pk}"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="generic-1",
    )
    assert response.status_code == 201, response.json()
    bad = api.post(
        "/api/v1/payments/", {"purpose": "course", "reference": "course:0"}, format="json", HTTP_IDEMPOTENCY_KEY="g2"
    )
    assert bad.status_code == 404
