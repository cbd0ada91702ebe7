import io

import pytest
from django.core.management import call_command

from accounts.roles import sync_staff_groups
from marketplace.models import Course, Lesson

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
    before = (Course.objects.count(), Lesson.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Course.objects.count(), Lesson.objects.count()) == before
