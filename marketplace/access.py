"""Who may open a course's lessons, and why not. Feature questions go to subscriptions.access.has_feature only."""

from dataclasses import dataclass

from accounts.interface import may
from subscriptions import interface as subscriptions

from .models import Course, Enrollment, Lesson

PRO_LIBRARY_FEATURE = "pro_library"


def has_feature(user, code: str) -> bool:
    """subscriptions' answer (anonymous visitors have no feature)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(subscriptions.has_feature(user, code))


def is_course_staff(user, course: Course) -> bool:
    """The course's instructor, and staff who may see any course (accounts/permission_table.py
    "marketplace.see_any_course"), see everything, whatever the course's status."""
    if not getattr(user, "is_authenticated", False):
        return False
    return course.instructor_id == user.pk or may(user, "marketplace.see_any_course")


def active_enrollment(user, course: Course) -> Enrollment | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Enrollment.objects.filter(user=user, course=course, revoked_at__isnull=True).first()


def can_view_course(user, course: Course, enrollment: Enrollment | None | bool = False) -> bool:
    """May the user see the course's page (and its reviews, in the API)? Published courses are public; its
    instructor and staff see every status; archived ones, and published ones being edited or reviewed again,
    stay visible to learners already enrolled. `enrollment` may be passed when already loaded."""
    if course.is_published or is_course_staff(user, course):
        return True
    if not course.is_open_to_learners:
        return False
    if enrollment is False:
        enrollment = active_enrollment(user, course)
    return enrollment is not None


@dataclass(frozen=True)
class Access:
    allowed: bool
    reason: str  # instructor | staff | enrolled | pro_library | preview | or why not: see DENIALS
    enrollment: Enrollment | None = None

    def __bool__(self) -> bool:
        return self.allowed


DENIALS = {
    "sign_in": "Sign in to take this course.",
    "not_available": "This course is not available.",
    "buy": "Buy this course to open its lessons.",
    "enroll": "Enrol in this free course to open its lessons.",
    "pro": "This course is included in Pro: subscribe to Pro, or buy it on its own.",
    "pro_only": "This course is included in Pro: subscribe to Pro to open its lessons.",
    "pro_lapsed": "You took this course through Pro, which you no longer have. Renew Pro or buy the course.",
    "archived": "This course has been retired and is open only to learners who enrolled before.",
}


def course_access(
    user, course: Course, enrollment: Enrollment | None | bool = False, *, as_learner: bool = False
) -> Access:
    """May the user open every lesson of this course? `enrollment` may be passed when already loaded.
    `as_learner` answers as for any learner, without the instructor's and staff's way in (reviews ask so)."""
    if not as_learner and is_course_staff(user, course):
        return Access(True, "instructor" if course.instructor_id == user.pk else "staff")
    if not course.is_open_to_learners:
        return Access(False, "not_available")
    if not getattr(user, "is_authenticated", False):
        return Access(False, "sign_in")
    if enrollment is False:
        enrollment = active_enrollment(user, course)
    # While a published course's edits are reviewed again, it stays open to Pro learners already enrolled.
    pro_open = course.is_published or (enrollment is not None and course.is_under_re_review)
    pro = course.in_pro_library and pro_open and has_feature(user, PRO_LIBRARY_FEATURE)
    if enrollment is not None:
        if enrollment.source != Enrollment.Source.PRO_LIBRARY:
            return Access(True, "enrolled", enrollment)
        if pro:
            return Access(True, "pro_library", enrollment)
        lapsed = course.is_published or course.is_under_re_review
        return Access(False, "pro_lapsed" if lapsed else "archived", enrollment)
    if pro:
        return Access(True, "pro_library")
    if not course.is_published:
        return Access(False, "not_available" if course.is_under_re_review else "archived")
    if course.is_free:
        return Access(False, "enroll")
    return Access(False, "pro" if course.in_pro_library else "buy")


def lesson_access(user, lesson: Lesson, course: Course | None = None) -> Access:
    course = course or lesson.course
    access = course_access(user, course)
    if not access and lesson.is_preview and course.is_published:
        return Access(True, "preview", access.enrollment)
    return access


def denial_message(access: Access) -> str:
    return DENIALS.get(access.reason, "You cannot open this lesson.")
