"""Queue the rewards work for marketplace's events (the signals arrive after commit)."""


def lesson_completed(user, course, lesson_id: int, completed_at) -> None:
    from .. import tasks

    tasks.lesson_completed.delay(user.pk, course.pk, lesson_id, completed_at.isoformat())


def course_completed(user, course, completed_at) -> None:
    from .. import tasks

    tasks.course_completed.delay(user.pk, course.pk, completed_at.isoformat())


def course_refunded(user, course) -> None:
    from .. import tasks

    tasks.course_refunded.delay(user.pk, course.pk)


def user_changed(user) -> None:
    from . import boards

    boards.sync_user(user)


def signed_in(user) -> None:
    """Warm the header badge so the site's pages read it from the cache."""
    from . import header

    header.warm(user.pk)
