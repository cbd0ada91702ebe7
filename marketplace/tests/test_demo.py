import io

import pytest
from django.core.management import call_command

from accounts.roles import sync_staff_groups
from marketplace.models import Course, Enrollment, Lesson, LessonProgress, Review

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_catalogue_once():
    sync_staff_groups()
    call_command("seed_demo", stdout=io.StringIO())
    published = Course.objects.filter(status="published")
    assert published.count() >= 30
    assert published.values("instructor").distinct().count() >= 3
    assert published.values("category").distinct().count() >= 5
    assert published.values("level").distinct().count() == 4
    assert published.filter(in_pro_library=True).exists() and published.filter(price_amount=0).exists()
    assert not Lesson.objects.filter(course__in=published).values("course").distinct().count() < published.count()
    # Reviewers took the course through the learning services: enrolled, a lesson done, counts kept.
    reviewed = Review.objects.select_related("course")
    assert reviewed.count() >= 20
    for review in reviewed:
        assert Enrollment.objects.filter(user=review.user_id, course=review.course, revoked_at__isnull=True).exists()
        assert LessonProgress.objects.filter(user=review.user_id, course=review.course).exists()
    learner_enrolment = Enrollment.objects.get(user__email="learner@lyceum.test", course__slug="python-from-zero")
    assert learner_enrolment.source == Enrollment.Source.STAFF
    for course in Course.objects.all():
        assert course.enrollment_count == course.enrollments.filter(revoked_at__isnull=True).count()
    before = (Course.objects.count(), Lesson.objects.count(), Enrollment.objects.count(), Review.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (
        Course.objects.count(),
        Lesson.objects.count(),
        Enrollment.objects.count(),
        Review.objects.count(),
    ) == before
