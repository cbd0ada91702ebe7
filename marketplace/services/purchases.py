"""Selling courses through billing: the "course" purpose's checkout, fulfil and revoke handlers."""

import logging

from django.db import transaction
from django.urls import reverse

from billing.interface import CheckoutItem, CheckoutStart, find_discount, start_checkout
from config.errors import ConflictError, DomainError, NotFoundError

from .. import access
from ..models import Course, Enrollment
from ..signals import course_refunded
from . import earnings, learning
from ._common import Forbidden

logger = logging.getLogger(__name__)
PURPOSE = "course"


def reference_for(course: Course) -> str:
    return f"course:{course.pk}"


def course_from_reference(reference: str) -> Course | None:
    prefix, _, raw_id = (reference or "").partition(":")
    if prefix != "course" or not raw_id.isdigit():
        return None
    return Course.objects.filter(pk=int(raw_id)).first()


def purchase_items(user, course: Course) -> tuple[list[CheckoutItem], str]:
    """What the user would pay for the course, or a DomainError saying why they cannot buy it."""
    if not user.is_authenticated:
        raise Forbidden("Sign in to buy this course.", code="not_authenticated")
    if not course.is_published:
        raise ConflictError("This course is not on sale.", code="not_available")
    if course.instructor_id == user.pk:
        raise ConflictError("You teach this course, so you already have it.", code="own_course")
    if course.is_free:
        raise ConflictError("This course is free: enrol without paying.", code="free_course")
    active = Enrollment.objects.filter(user=user, course=course, revoked_at__isnull=True).first()
    if active is not None and active.source != Enrollment.Source.PRO_LIBRARY:
        raise ConflictError("You are already enrolled in this course.", code="already_enrolled")
    item = CheckoutItem(name=course.title, amount=course.price_amount, currency=course.currency)
    return [item], course.title  # what the payment page, receipts and e-mails call it (no "Course: " prefix)


def course_discount(user, course: Course, code: str):
    """The discount a typed code gives on this course, or a DomainError: a code is for one course and one learner
    (its metadata says which: a rewards course coupon is made that way)."""
    discount = find_discount(code)
    meta = discount.metadata
    if meta.get("course_id") != str(course.pk):
        raise DomainError(
            "That discount code is for another course.",
            code="invalid_discount",
            fields={"promotion_code": ["Another course."]},
        )
    if meta.get("user_id") and meta.get("user_id") != str(user.pk):
        raise DomainError(
            "That discount code belongs to someone else.",
            code="invalid_discount",
            fields={"promotion_code": ["Not yours."]},
        )
    return discount


def start_course_purchase(user, course: Course, *, promotion_code: str = "") -> CheckoutStart:
    items, description = purchase_items(user, course)
    discount = course_discount(user, course, promotion_code) if (promotion_code or "").strip() else None
    return start_checkout(
        user, PURPOSE, items, description=description, reference=reference_for(course), discount=discount
    )


# Billing's hooks ---------------------------------------------------------------------------


def checkout_for_api(user, reference: str):
    course = course_from_reference(reference)
    # A course the caller may not see (a draft, someone else's) is as missing as one that never existed.
    if course is None or not access.can_view_course(user, course):
        raise NotFoundError("No such course.", fields={"reference": ["Use course:<id>."]})
    items, description = purchase_items(user, course)
    return items, description, "payment"


def fulfil_course_payment(payment) -> None:
    course = course_from_reference(payment.reference)
    if course is None:
        raise DomainError(f"Payment {payment.pk} refers to no course ({payment.reference!r}).")
    learning.enroll_from_payment(payment, course)
    earnings.record_sale(payment, course)


def revoke_course_payment(payment, refund) -> None:
    """A refund in full ends the enrolment it bought; a partial refund (a goodwill gesture) keeps it.
    Either way the instructor's share is reversed in proportion to the refund."""
    earnings.reverse_for_refund(payment, refund)
    if payment.amount_refunded < payment.amount:
        return
    for enrollment in Enrollment.objects.filter(payment=payment, revoked_at__isnull=True).select_related(
        "course", "user"
    ):
        learning.revoke_enrollment(enrollment, reason=f"Refunded ({refund.reason})"[:255])
        _signal_refunded(enrollment.user, enrollment.course, payment)


def _signal_refunded(user, course, payment) -> None:
    transaction.on_commit(lambda: course_refunded.send(sender=Course, user=user, course=course, payment=payment))


def success_url(payment) -> str | None:
    course = course_from_reference(payment.reference)
    return reverse("marketplace:learn", args=[course.slug]) if course else None
