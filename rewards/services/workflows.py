"""What happens when marketplace says a lesson or course was completed or refunded (called by tasks)."""

from datetime import datetime

from marketplace.interface import Course, active_enrollment

from . import earning, streaks


def _course(course_id: int) -> Course | None:
    return Course.objects.filter(pk=course_id).first()


def on_lesson_completed(user_id: int, course_id: int, lesson_id: int, *, at: datetime | None = None) -> str:
    user = earning.user_by_id(user_id)
    course = _course(course_id)
    if user is None or course is None:
        return "skipped: no such learner or course"
    if course.instructor_id == user.pk:
        return "skipped: own course"
    if active_enrollment(user, course) is None:
        return "skipped: the enrolment has ended (refunded)"
    _streak, milestone = streaks.record_learning(user, at=at)
    result = earning.award_lesson(user, course, lesson_id, at=at)
    if milestone:
        earning.award_streak_milestone(user, milestone, _streak.started_on, at=at)
    return f"lesson {lesson_id}: {result.amount if result.created else 'already awarded'}"


def on_course_completed(user_id: int, course_id: int, *, at: datetime | None = None) -> str:
    user = earning.user_by_id(user_id)
    course = _course(course_id)
    if user is None or course is None:
        return "skipped: no such learner or course"
    if active_enrollment(user, course) is None:
        return "skipped: the enrolment has ended (refunded)"
    awards = earning.award_course(user, course, at=at)
    return f"course {course_id}: {sum(a.amount for a in awards if a.created)} tokens"


def on_course_refunded(user_id: int, course_id: int) -> str:
    user = earning.user_by_id(user_id) or _inactive(user_id)
    course = _course(course_id)
    if user is None or course is None:
        return "skipped: no such learner or course"
    return f"course {course_id}: {earning.reverse_course(user, course)} tokens reversed"


def _inactive(user_id: int):
    from accounts.interface import User

    return User.objects.filter(pk=user_id).first()
