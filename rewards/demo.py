"""Demo rewards for `manage.py seed_demo`: the demo learner has a balance, a streak of a few days and a league
group with believable neighbours. Idempotent: awards are keyed by their events, users by e-mail."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.interface import User

NEIGHBOURS = [
    ("amara@lyceum.test", "Amara Okafor", 6),
    ("tomas@lyceum.test", "Tomás Ruiz", 2),
    ("mei@lyceum.test", "Mei Tanaka", 5),
    ("olivier@lyceum.test", "Olivier Dupont", 1),
    ("sara@lyceum.test", "Sara Lindqvist", 4),
    ("kwame@lyceum.test", "Kwame Mensah", 3),
    ("league.noor@lyceum.test", "Noor Haddad", 7),
    ("league.jonas@lyceum.test", "Jonas Berg", 2),
    ("league.lucia@lyceum.test", "Lucía Fernández", 5),
    ("league.arjun@lyceum.test", "Arjun Mehta", 1),
    ("league.chloe@lyceum.test", "Chloé Martin", 3),
    ("league.yuki@lyceum.test", "Yuki Sato", 4),
]


@transaction.atomic
def seed_demo() -> int:
    from marketplace.models import Course, Lesson, LessonProgress
    from marketplace.services import learning

    from .services import earning, workflows

    learner = User.objects.filter(email="learner@lyceum.test").first()
    admin = User.objects.filter(email="admin@lyceum.test", is_superuser=True).first()
    courses = list(Course.objects.filter(status=Course.Status.PUBLISHED, price_amount=0).order_by("pk")[:3])
    if learner is None or not courses:
        return 0
    created = 0
    now = timezone.now()
    # The demo learner: a lesson on each of the last four days (a 4-day streak, today still to do).
    enrolled = learner.enrollments.filter(revoked_at__isnull=True).select_related("course").first()
    if enrolled is not None:
        lessons = list(Lesson.objects.filter(course=enrolled.course).order_by("module__order", "order")[:4])
        for days_ago, lesson in zip(range(len(lessons), 0, -1), lessons, strict=False):
            when = now - timedelta(days=days_ago)
            progress, new = LessonProgress.objects.get_or_create(
                user=learner, lesson=lesson, defaults={"course": enrolled.course, "completed_at": when}
            )
            if new:
                workflows.on_lesson_completed(learner.pk, enrolled.course.pk, lesson.pk, at=when)
                created += 1
    if admin is not None:
        earning.correct(
            learner, amount=180, reason="Demo: a starting balance to try the shop", by=admin, key="demo:welcome:learner"
        )
    # Neighbours in the demo learner's league group, each with a few lessons this week.
    from accounts.interface import demo_password

    for email, name, lessons_done in NEIGHBOURS:
        person, new = User.objects.get_or_create(email=email, defaults={"display_name": name})
        if new:
            person.set_password(demo_password())
            person.save()
            created += 1
        course = courses[len(name) % len(courses)]
        learning.enroll_free(person, course)  # an enrolment they already have is kept as it is
        for k, lesson in enumerate(
            Lesson.objects.filter(course=course).order_by("module__order", "order")[:lessons_done]
        ):
            when = now - timedelta(hours=3 * (k + 1))
            _, new_progress = LessonProgress.objects.get_or_create(
                user=person, lesson=lesson, defaults={"course": course, "completed_at": when}
            )
            if new_progress:
                workflows.on_lesson_completed(person.pk, course.pk, lesson.pk, at=when)
    return created
