"""Scenarios for the rewards tests: courses with lessons and learners completing them through marketplace."""

from marketplace.tests.factories import EnrollmentFactory, course_with_lessons


def enrolled_course(learner, *, lessons: int = 3, **kwargs):
    course = course_with_lessons(modules=1, lessons=lessons, **kwargs)
    EnrollmentFactory(user=learner, course=course)
    return course


def complete(learner, lesson):
    """Complete a lesson through marketplace's service (signals after commit, tasks run eagerly)."""
    from marketplace.services.learning import complete_lesson

    return complete_lesson(learner, lesson)


def complete_course(learner, course):
    for lesson in course.lessons.order_by("order"):
        complete(learner, lesson)
