"""The instructor's course API (create, PATCH, submit) and the re-review rule for published courses."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import VerifiedUserFactory
from marketplace import access
from marketplace.models import Course, Enrollment, Module
from marketplace.selectors import CatalogueFilters, catalogue
from marketplace.services import courses as course_services

from .factories import CategoryFactory, CourseFactory, EnrollmentFactory, InstructorFactory, course_with_lessons

pytestmark = pytest.mark.django_db
COURSES = "/api/v1/courses/"


def client_for(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


# Create ------------------------------------------------------------------------------------


def test_instructor_creates_a_draft(instructor):
    category = CategoryFactory(slug="data")
    response = client_for(instructor).post(
        COURSES,
        {
            "title": "  Pandas in practice ",
            "category": "data",
            "price_amount": 2500,
            "currency": "EUR",
            "level": "advanced",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["title"], body["status"], body["price"]["amount"], body["price"]["currency"]) == (
        "Pandas in practice",
        "draft",
        2500,
        "eur",
    )
    course = Course.objects.get(pk=body["id"])
    assert (course.instructor_id, course.category_id, course.level) == (instructor.pk, category.pk, "advanced")


def test_create_permissions(learner):
    assert client_for().post(COURSES, {"title": "Anonymous course"}, format="json").status_code == 401
    refused = client_for(learner).post(COURSES, {"title": "A learner's course"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_instructor"
    assert "Apply to teach" in refused.json()["error"]["message"]
    assert not Course.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"title": "x" * 121}, "title", "The title must be at most 120 characters (it has 121)."),
        ({"title": "Abc"}, "title", "The title must be at least 5 characters (it has 3)."),
        ({"title": "Fine title", "price_amount": -1}, "price_amount", "either 0 (a free course) or between 100"),
        ({"title": "Fine title", "price_amount": 100_001}, "price_amount", "either 0 (a free course) or between 100"),
        ({"title": "Fine title", "price_amount": "abc"}, "price_amount", "A valid integer is required."),
        ({"title": "Fine title", "currency": "jpy"}, "currency", "Choose USD, EUR or GBP."),
        ({"title": "Fine title", "level": "expert"}, "level", "Choose one of: beginner"),
        ({"title": "Fine title", "language": "xx"}, "language", "Choose one of: en"),
        ({"title": "Fine title", "category": "nope"}, "category", "No category “nope”."),
        ({"title": "Fine title", "subtitle": "s" * 201}, "subtitle", "at most 200 characters"),
        ({"title": "Fine title", "price": 10}, "price", "Unknown field"),
        ({}, "title", "This field is required."),
    ],
)
def test_create_bad_input_names_the_field(instructor, payload, field, message):
    response = client_for(instructor).post(COURSES, payload, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert message in " ".join(error["fields"][field])
    assert not Course.objects.exists()


# PATCH -------------------------------------------------------------------------------------


def test_patch_by_instructor_and_not_by_others(instructor, learner, staff_user):
    course = CourseFactory(instructor=instructor)
    url = f"{COURSES}{course.pk}/"
    ok = client_for(instructor).patch(url, {"subtitle": "Now with exercises", "price_amount": 0}, format="json")
    assert ok.status_code == 200, ok.json()
    assert (ok.json()["subtitle"], ok.json()["is_free"], ok.json()["status"]) == ("Now with exercises", True, "draft")

    assert client_for().patch(url, {"subtitle": "x"}, format="json").status_code == 401
    assert client_for(learner).patch(url, {"subtitle": "x"}, format="json").status_code == 404  # a draft is hidden
    other = client_for(InstructorFactory()).patch(url, {"subtitle": "x"}, format="json")
    assert other.status_code == 404
    staff = client_for(staff_user).patch(url, {"subtitle": "x"}, format="json")
    assert staff.status_code == 403 and "Only the course's instructor" in staff.json()["error"]["message"]
    assert client_for(instructor).patch(f"{COURSES}999999/", {"subtitle": "x"}, format="json").status_code == 404
    assert Course.objects.get(pk=course.pk).subtitle == "Now with exercises"


def test_patch_bad_input_and_state(instructor):
    course = CourseFactory(instructor=instructor)
    url = f"{COURSES}{course.pk}/"
    api = client_for(instructor)
    bad = api.patch(url, {"title": "y" * 130, "currency": "btc"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {
        "title": ["The title must be at most 120 characters (it has 130)."],
        "currency": ["Choose USD, EUR or GBP."],
    }
    Course.objects.filter(pk=course.pk).update(status=Course.Status.IN_REVIEW)
    busy = api.patch(url, {"subtitle": "x"}, format="json")
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "in_review"


def test_published_course_page_still_gets(instructor):
    course = course_with_lessons(instructor=instructor)
    response = client_for().get(f"{COURSES}{course.pk}/")
    assert response.status_code == 200 and response.json()["status"] == "published"


# Submit ------------------------------------------------------------------------------------


def test_submit_needs_a_module_with_a_lesson(instructor, learner):
    course = CourseFactory(instructor=instructor)
    url = f"{COURSES}{course.pk}/submit/"
    assert client_for().post(url).status_code == 401
    assert client_for(learner).post(url).status_code == 404
    not_ready = client_for(instructor).post(url)
    assert not_ready.status_code == 400
    assert not_ready.json()["error"]["code"] == "not_ready"
    assert not_ready.json()["error"]["fields"]["course"] == ["Add at least one module with at least one lesson."]

    module = course_services.add_module(course, by=instructor, title="Getting started")
    empty = client_for(instructor).post(url)
    assert "Module “Getting started” has no lessons" in empty.json()["error"]["message"]
    course_services.add_lesson(module, by=instructor, title="Hello", body="Text")
    done = client_for(instructor).post(url)
    assert done.status_code == 200 and done.json()["status"] == "in_review"
    again = client_for(instructor).post(url)
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_submittable"


def test_staff_cannot_submit_for_the_instructor(instructor, staff_user):
    course = course_with_lessons(instructor=instructor, factory_class=CourseFactory)
    response = client_for(staff_user).post(f"{COURSES}{course.pk}/submit/")
    assert response.status_code == 403
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT


# Re-review of published courses ------------------------------------------------------------


def _in_catalogue(course) -> bool:
    return catalogue(CatalogueFilters()).filter(pk=course.pk).exists()


def test_editing_a_published_course_sends_it_back_to_review(instructor, reviewer):
    course = course_with_lessons(instructor=instructor)
    enrolled = VerifiedUserFactory()
    EnrollmentFactory(user=enrolled, course=course, source=Enrollment.Source.STAFF)
    first_published = course.published_at
    assert _in_catalogue(course)

    response = client_for(instructor).patch(f"{COURSES}{course.pk}/", {"price_amount": 4999}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "in_review"
    course.refresh_from_db()
    assert course.status == Course.Status.IN_REVIEW and course.is_under_re_review
    assert not _in_catalogue(course)
    assert client_for().get(f"{COURSES}{course.pk}/").status_code == 404
    assert access.course_access(enrolled, course).allowed  # enrolled learners keep access
    assert not access.course_access(VerifiedUserFactory(), course).allowed

    course_services.approve_course(course, by=reviewer)
    course.refresh_from_db()
    assert course.status == Course.Status.PUBLISHED and course.published_at == first_published
    assert _in_catalogue(course) and course.price_amount == 4999


def test_unchanged_save_keeps_it_published_and_lessons_count(instructor):
    course = course_with_lessons(instructor=instructor)
    course_services.update_course(course, by=instructor, title=course.title, price_amount=course.price_amount)
    assert Course.objects.get(pk=course.pk).status == Course.Status.PUBLISHED

    lesson = course.lessons.first()
    course_services.update_lesson(lesson, by=instructor, body="Rewritten text")
    assert Course.objects.get(pk=course.pk).status == Course.Status.IN_REVIEW


def test_adding_a_module_to_a_published_course_needs_review(instructor):
    course = course_with_lessons(instructor=instructor)
    course_services.add_module(course, by=instructor, title="Bonus material")
    assert Course.objects.get(pk=course.pk).status == Course.Status.IN_REVIEW
    assert Module.objects.filter(course=course).count() == 3


def test_published_edit_that_breaks_readiness_is_refused(instructor):
    course = course_with_lessons(instructor=instructor)
    response = client_for(instructor).patch(f"{COURSES}{course.pk}/", {"description": "Too short"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "not_ready"
    course.refresh_from_db()
    assert course.status == Course.Status.PUBLISHED and course.description != "Too short"


def test_studio_pages_say_so_before_and_after_saving(client, instructor):
    course = course_with_lessons(instructor=instructor)
    client.force_login(instructor)
    edit = reverse("marketplace:studio_course_edit", args=[course.pk])
    notice = "This course is published: saving a change sends it back to review."
    assert notice in client.get(edit).content.decode()
    module = course.modules.first()
    lesson = module.lessons.first()
    assert (
        notice
        in client.get(
            reverse("marketplace:studio_lesson_edit", args=[course.pk, module.pk, lesson.pk])
        ).content.decode()
    )
    form = {
        "title": "A brand new title",
        "subtitle": course.subtitle,
        "description": course.description,
        "category": course.category_id,
        "level": course.level,
        "language": course.language,
        "price": "19.99",
        "currency": "usd",
    }
    response = client.post(edit, form, follow=True)
    page = response.content.decode()
    assert "The change is waiting for review" in page
    assert "Your changes to this published course are waiting for review" in page
    assert Course.objects.get(pk=course.pk).status == Course.Status.IN_REVIEW


def test_enrolled_learner_still_opens_lessons_during_re_review(client, instructor):
    course = course_with_lessons(instructor=instructor)
    learner = VerifiedUserFactory()
    EnrollmentFactory(user=learner, course=course, source=Enrollment.Source.FREE)
    course_services.update_course(course, by=instructor, subtitle="Updated subtitle")
    lesson = course.lessons.exclude(is_preview=True).first()
    client.force_login(learner)
    assert client.get(reverse("marketplace:course_detail", args=[course.slug])).status_code == 200
    assert client.get(reverse("marketplace:lesson", args=[course.slug, lesson.pk])).status_code == 200
    client.force_login(VerifiedUserFactory())
    assert client.get(reverse("marketplace:course_detail", args=[course.slug])).status_code == 404
