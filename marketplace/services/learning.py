"""Enrolments and progress."""

import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.interface import may
from billing.interface import AlreadyOwned
from config.errors import ConflictError, DomainError

from .. import access, emails
from ..caching import catalogue_changed
from ..models import Course, CourseCompletion, Enrollment, Lesson, LessonProgress
from ..signals import course_completed, lesson_completed
from ._common import Forbidden

logger = logging.getLogger(__name__)


def _create_enrollment(user, course: Course, source: str, payment=None) -> tuple[Enrollment, bool]:
    """The user's active enrolment in the course, created if missing (race-safe: the constraint decides)."""
    existing = Enrollment.objects.filter(user=user, course=course, revoked_at__isnull=True).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(user=user, course=course, source=source, payment=payment)
            Course.objects.filter(pk=course.pk).update(enrollment_count=F("enrollment_count") + 1)
            catalogue_changed()  # the count shows in the catalogue and on the course page
    except IntegrityError:
        return Enrollment.objects.get(user=user, course=course, revoked_at__isnull=True), False
    return enrollment, True


def _require_joinable(user, course: Course) -> None:
    if not user.is_authenticated:
        raise Forbidden("Sign in to take this course.", code="not_authenticated")
    if not course.is_published:
        raise ConflictError("This course is not open for new learners.", code="not_available")


def enroll_free(user, course: Course) -> Enrollment:
    _require_joinable(user, course)
    if not course.is_free:
        raise ConflictError(f"This course costs {course.price_display}; buy it to enrol.", code="not_free")
    with transaction.atomic():
        enrollment, created = _create_enrollment(user, course, Enrollment.Source.FREE)
        if created:
            emails.send_after_commit("enrollment_confirmed", user, course=course)
    return enrollment


def start_with_pro(user, course: Course) -> Enrollment:
    _require_joinable(user, course)
    if not course.in_pro_library:
        raise ConflictError("This course is not in the Pro library.", code="not_in_pro_library")
    if not access.has_feature(user, access.PRO_LIBRARY_FEATURE):
        raise Forbidden("This course is included in Pro: subscribe to Pro to take it.", code="feature_required")
    with transaction.atomic():
        enrollment, created = _create_enrollment(user, course, Enrollment.Source.PRO_LIBRARY)
        if created:
            emails.send_after_commit("enrollment_confirmed", user, course=course)
    return enrollment


def grant_enrollment(user, course: Course, *, by) -> Enrollment:
    """Staff give someone a course (support gesture, press copy)."""
    if not may(by, "marketplace.grant_enrollment"):
        raise Forbidden("Only staff who may give courses (Support) can grant a course.")
    with transaction.atomic():
        enrollment, created = _create_enrollment(user, course, Enrollment.Source.STAFF)
        if created:
            emails.send_after_commit("enrollment_confirmed", user, course=course)
    return enrollment


def enroll_from_payment(payment, course: Course) -> Enrollment:
    """Billing's fulfil for a course payment: runs inside billing's transaction, once per payment."""
    user = payment.user
    existing = Enrollment.objects.filter(payment=payment).first()
    if existing:
        return existing
    active = Enrollment.objects.select_for_update().filter(user=user, course=course, revoked_at__isnull=True).first()
    if active is None:
        enrollment, created = _create_enrollment(user, course, Enrollment.Source.PURCHASE, payment=payment)
        if created:
            emails.send_after_commit("enrollment_confirmed", user, course=course)
            return enrollment
        active = enrollment  # a concurrent fulfilment of another payment enrolled them first
    if active.source == Enrollment.Source.PURCHASE or active.payment_id not in (None, payment.pk):
        # Bought twice (two tabs, two API calls): billing refunds this payment in full and tells them.
        raise AlreadyOwned(f"You already own “{course.title}”, so this second payment is refunded in full.")
    # They bought what they were taking through Pro, for free or as a gift: the purchase now keeps their access.
    active.source = Enrollment.Source.PURCHASE
    active.payment = payment
    active.save(update_fields=["source", "payment"])
    return active


@transaction.atomic
def revoke_enrollment(enrollment: Enrollment, *, reason: str) -> Enrollment:
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.revoked_at is None:
        enrollment.revoked_at = timezone.now()
        enrollment.revoke_reason = reason[:255]
        enrollment.save(update_fields=["revoked_at", "revoke_reason"])
        Course.objects.filter(pk=enrollment.course_id, enrollment_count__gt=0).update(
            enrollment_count=F("enrollment_count") - 1
        )
        catalogue_changed()
    return enrollment


# Progress ----------------------------------------------------------------------------------


def complete_lesson(user, lesson: Lesson) -> LessonProgress:
    """Mark the lesson done; completing the last one completes the course (and signals it) exactly once."""
    if not user.is_authenticated:
        raise Forbidden("Sign in to record your progress.", code="not_authenticated")
    course = lesson.course
    granted = access.course_access(user, course)
    if not granted:
        raise Forbidden(access.denial_message(granted), code="no_access", status_code=403)
    now = timezone.now()
    with transaction.atomic():
        enrollment = granted.enrollment
        if enrollment is None and granted.reason == "pro_library":
            enrollment, _ = _create_enrollment(user, course, Enrollment.Source.PRO_LIBRARY)
        progress, first_time = LessonProgress.objects.get_or_create(
            user=user, lesson=lesson, defaults={"course": course, "completed_at": now}
        )
        if first_time:
            transaction.on_commit(
                lambda: lesson_completed.send(sender=Lesson, user=user, lesson=lesson, course=course, progress=progress)
            )
        if enrollment is not None:
            Enrollment.objects.filter(pk=enrollment.pk).update(last_lesson=lesson)
        total = Lesson.objects.filter(course=course).count()
        done = LessonProgress.objects.filter(user=user, course=course).count()
        if total and done >= total:
            completion, created = CourseCompletion.objects.get_or_create(
                user=user, course=course, defaults={"completed_at": now}
            )
            if created:
                transaction.on_commit(
                    lambda: course_completed.send(sender=Course, user=user, course=course, completion=completion)
                )
    return progress


def record_visit(user, enrollment: Enrollment | None, lesson: Lesson) -> None:
    """Remember the last lesson opened, so "Resume" brings the learner back to it."""
    if enrollment is not None and enrollment.last_lesson_id != lesson.pk:
        Enrollment.objects.filter(pk=enrollment.pk).update(last_lesson=lesson)


def require_lesson_of(course: Course, lesson: Lesson) -> None:
    if lesson.course_id != course.pk:
        raise DomainError("That lesson is not part of this course.", code="not_found", status_code=404)
