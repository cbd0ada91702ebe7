"""CourseListSerializer's hand-written to_representation (the catalogue's hot path) must say exactly what DRF's
generic walk over its declared fields says, for every kind of course; the OpenAPI schema describes the latter."""

import pytest
from django.utils import timezone
from rest_framework import serializers

from marketplace.api.serializers import CourseDetailSerializer, CourseListSerializer
from marketplace.models import Course

from .factories import CourseFactory, PublishedCourseFactory, course_with_lessons

pytestmark = pytest.mark.django_db


def generic(course: Course) -> dict:
    serializer = CourseListSerializer(course)
    return serializers.ModelSerializer.to_representation(serializer, course)


def kinds_of_course() -> list[Course]:
    return [
        PublishedCourseFactory(),
        PublishedCourseFactory(price_amount=0, in_pro_library=True, category=None, level=Course.Level.ADVANCED),
        PublishedCourseFactory(price_amount=100_000, currency="eur", rating_average="4.67", rating_count=3),
        PublishedCourseFactory(currency="gbp", rating_average=5, enrollment_count=12, language=Course.Language.GERMAN),
        PublishedCourseFactory(published_at=timezone.now().replace(microsecond=123456), subtitle=""),
        CourseFactory(instructor__display_name=""),  # a draft: no published_at; the name falls back to the e-mail
    ]


def test_the_fast_path_matches_the_declared_fields_for_every_kind_of_course():
    for course in kinds_of_course():
        course = Course.objects.select_related("category", "instructor").get(pk=course.pk)
        fast = CourseListSerializer(course).data
        expected = generic(course)
        assert list(fast) == list(expected)
        assert dict(fast) == dict(expected)


def test_a_list_uses_the_same_representation():
    courses = list(
        Course.objects.select_related("category", "instructor").filter(pk__in=[c.pk for c in kinds_of_course()])
    )
    assert CourseListSerializer(courses, many=True).data == [generic(course) for course in courses]


def test_the_detail_serializer_keeps_its_own_fields():
    course = course_with_lessons(modules=1, lessons=2)
    data = CourseDetailSerializer(course).data
    assert {"description", "description_html", "modules"} <= set(data)
    assert len(data["modules"][0]["lessons"]) == 2
