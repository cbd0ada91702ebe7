"""Course reviews: who may write one, the instructor's single reply, staff moderation, the course's rating.

Every write locks the course row first, so concurrent reviews of one course are serialised and the
average and count are recomputed from the rows themselves in the same transaction: they cannot drift.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.interface import may
from config.errors import ConflictError

from .. import access
from ..caching import catalogue_changed
from ..models import Course, Enrollment, LessonProgress, Review
from ..rendering import plain_text
from ._common import Errors, Forbidden, check_length

TEXT_MIN = 10
TEXT_MAX = 2000
REPLY_MIN = 2
REPLY_MAX = 2000
REASON_MIN = 5
REASON_MAX = 500
RATING_MESSAGE = "The rating is a whole number of stars from 1 to 5."


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    code: str  # ok | not_authenticated | own_course | not_available | not_enrolled | no_progress
    message: str

    def __bool__(self) -> bool:
        return self.allowed


ELIGIBILITY_MESSAGES = {
    "ok": "",
    "not_authenticated": "Sign in to review this course.",
    "own_course": "You teach this course, so you cannot review it.",
    "not_available": "This course is not open for reviews.",
    "not_enrolled": "Only learners taking this course can review it: enrol first.",
    "no_progress": "Complete at least one lesson before you review this course.",
}


REVIEWER_ACCESS = ("enrolled", "pro_library")


def _verdict(code: str) -> Eligibility:
    return Eligibility(code == "ok", code, ELIGIBILITY_MESSAGES[code])


def review_eligibility(
    user, course: Course, *, enrollment: Enrollment | None | bool = False, has_progress: bool | None = None
) -> Eligibility:
    """May the user review the course? Pages pass what they already loaded to save queries."""
    if not getattr(user, "is_authenticated", False):
        return _verdict("not_authenticated")
    if course.instructor_id == user.pk:
        return _verdict("own_course")
    if not course.is_open_to_learners:
        return _verdict("not_available")
    # The same answer as for opening its lessons: enrolled, or taking it through Pro (with or without an
    # enrolment row). A Pro enrolment whose subscription lapsed no longer counts, as everywhere else.
    if access.course_access(user, course, enrollment, as_learner=True).reason not in REVIEWER_ACCESS:
        return _verdict("not_enrolled")
    if has_progress is None:
        has_progress = LessonProgress.objects.filter(user=user, course=course).exists()
    if not has_progress:
        return _verdict("no_progress")
    return _verdict("ok")


def require_can_review(user, course: Course) -> None:
    eligibility = review_eligibility(user, course)
    if not eligibility:
        status = 401 if eligibility.code == "not_authenticated" else 403
        raise Forbidden(eligibility.message, code=eligibility.code, status_code=status)


def clean_text(text: str) -> str:
    """Reviews and replies are plain text (rendering.plain_text removes every tag, entity-encoded ones too)."""
    return plain_text((text or "").replace("\r\n", "\n"))


def _validate_review(rating, text: str) -> None:
    errors = Errors()
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors.add("rating", RATING_MESSAGE)
    check_length(errors, "text", "Your review", text, minimum=TEXT_MIN, maximum=TEXT_MAX)
    errors.raise_if_any()


def _refresh_rating(course: Course) -> None:
    """Recompute the course's average and count from its visible reviews (the caller holds the course lock)."""
    totals = Review.objects.filter(course=course, hidden_at__isnull=True).aggregate(n=Count("id"), total=Sum("rating"))
    count = totals["n"] or 0
    average = (Decimal(totals["total"]) / count).quantize(Decimal("0.01"), ROUND_HALF_UP) if count else Decimal("0")
    course.rating_average = average
    course.rating_count = count
    Course.objects.filter(pk=course.pk).update(rating_average=average, rating_count=count)
    catalogue_changed()


def _lock_course(course_id: int) -> Course:
    return Course.objects.select_for_update().get(pk=course_id)


def submit_review(user, course: Course, rating, text: str) -> tuple[Review, bool]:
    """Create the learner's review of the course, or edit the one they already wrote. Returns (review, created)."""
    text = clean_text(text)
    with transaction.atomic():
        course = _lock_course(course.pk)
        require_can_review(user, course)
        _validate_review(rating, text)
        review = Review.objects.filter(course=course, user=user).first()
        created = review is None
        if created:
            review = Review.objects.create(course=course, user=user, rating=rating, text=text)
        else:
            # A hidden review stays hidden when edited: staff decide when it comes back.
            review.rating, review.text = rating, text
            review.save(update_fields=["rating", "text", "updated_at"])
        _refresh_rating(course)
        review.course = course  # carries the fresh average and count back to the caller
    return review, created


def reply_to_review(instructor, review: Review, text: str) -> Review:
    """The course's instructor answers a review, once."""
    text = clean_text(text)
    with transaction.atomic():
        review = Review.objects.select_for_update().select_related("course").get(pk=review.pk)
        if not getattr(instructor, "is_authenticated", False) or review.course.instructor_id != instructor.pk:
            raise Forbidden("Only the course's instructor can reply to its reviews.", code="not_instructor")
        if review.reply:
            raise ConflictError("You have already replied to this review; a review gets one reply.", code="replied")
        if review.hidden_at is not None:
            raise ConflictError("This review has been hidden by staff and cannot be replied to.", code="hidden")
        errors = Errors()
        check_length(errors, "reply", "Your reply", text, minimum=REPLY_MIN, maximum=REPLY_MAX)
        errors.raise_if_any()
        review.reply = text
        review.replied_at = timezone.now()
        review.save(update_fields=["reply", "replied_at", "updated_at"])
    return review


def _require_moderator(staff) -> None:
    if not may(staff, "marketplace.moderate_reviews"):
        raise Forbidden("Only staff who moderate reviews can hide or show them.", code="not_moderator")


def hide_review(staff, review: Review, reason: str) -> Review:
    """Staff take an abusive review off the course page and the API; it stops counting in the average."""
    _require_moderator(staff)
    reason = (reason or "").strip()
    errors = Errors()
    check_length(errors, "reason", "The reason", reason, minimum=REASON_MIN, maximum=REASON_MAX)
    errors.raise_if_any()
    with transaction.atomic():
        course = _lock_course(review.course_id)
        review = Review.objects.select_for_update().get(pk=review.pk)
        if review.hidden_at is not None:
            raise ConflictError("This review is already hidden.", code="already_hidden")
        review.hidden_at = timezone.now()
        review.hidden_by = staff
        review.hidden_reason = reason
        review.save(update_fields=["hidden_at", "hidden_by", "hidden_reason", "updated_at"])
        _refresh_rating(course)
    return review


def unhide_review(staff, review: Review) -> Review:
    _require_moderator(staff)
    with transaction.atomic():
        course = _lock_course(review.course_id)
        review = Review.objects.select_for_update().get(pk=review.pk)
        if review.hidden_at is None:
            raise ConflictError("This review is not hidden.", code="not_hidden")
        review.hidden_at = None
        review.hidden_by = None
        review.hidden_reason = ""
        review.save(update_fields=["hidden_at", "hidden_by", "hidden_reason", "updated_at"])
        _refresh_rating(course)
    return review
