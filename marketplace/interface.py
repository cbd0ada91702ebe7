"""Marketplace's surface for the other apps (rewards reads it): import from here only.

What it offers:
    ``course_completed`` — signal sent once per learner and course after the completing commit
    (``user``, ``course``, ``completion``); receivers call their own services.
    ``lesson_completed`` — signal sent once per learner and lesson after the commit that first recorded it
    (``user``, ``lesson``, ``course``, ``progress``).
    ``course_refunded`` — signal sent after a full refund ended a learner's enrolment (``user``, ``course``,
    ``payment``).
    ``lesson_count(course)`` — how many lessons a course has.
    ``Course``, ``Enrollment`` — read-only use (foreign keys, selectors).
    ``active_enrollment(user, course)`` — the learner's live enrollment or None.
    ``has_completed(user, course)``, ``completed_course_ids(user, course_ids)`` — completion reads.
    ``course_by_id(pk)`` — one course with what its page shows.
"""

from .access import active_enrollment
from .models import Course, Enrollment
from .selectors import completed_course_ids, course_by_id, has_completed
from .signals import course_completed, course_refunded, lesson_completed

__all__ = [
    "Course",
    "Enrollment",
    "active_enrollment",
    "completed_course_ids",
    "course_by_id",
    "course_completed",
    "course_refunded",
    "has_completed",
    "lesson_completed",
    "lesson_count",
]


def lesson_count(course) -> int:
    """How many lessons the course has."""
    from .models import Lesson

    return Lesson.objects.filter(course=course).count()
