"""Marketplace's surface for the other apps (rewards reads it): import from here only.

What it offers:
    ``course_completed`` — signal sent once per learner and course after the completing commit
    (``user``, ``course``, ``completion``); receivers call their own services.
    ``Course``, ``Enrollment`` — read-only use (foreign keys, selectors).
    ``active_enrollment(user, course)`` — the learner's live enrollment or None.
    ``has_completed(user, course)``, ``completed_course_ids(user, course_ids)`` — completion reads.
    ``course_by_id(pk)`` — one course with what its page shows.
"""

from .access import active_enrollment
from .models import Course, Enrollment
from .selectors import completed_course_ids, course_by_id, has_completed
from .signals import course_completed

__all__ = [
    "Course",
    "Enrollment",
    "active_enrollment",
    "completed_course_ids",
    "course_by_id",
    "course_completed",
    "has_completed",
]
