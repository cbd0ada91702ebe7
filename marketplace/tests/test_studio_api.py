"""The instructor's course API (create, PATCH, submit) and the re-review rule for published courses."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import VerifiedUserFactory
from config.errors import ConflictError, DomainError
from marketplace import access
from marketplace.models import Course, Enrollment, Module
from marketplace.selectors import CatalogueFilters, catalogue, review_queue
from marketplace.services import courses as course_services
from marketplace.services import purchases

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


def test_editing_a_published_course_makes_it_a_draft_until_resubmitted_and_approved(instructor, reviewer, learner):
    course = course_with_lessons(instructor=instructor)
    enrolled = VerifiedUserFactory()
    EnrollmentFactory(user=enrolled, course=course, source=Enrollment.Source.STAFF)
    first_published = course.published_at
    assert _in_catalogue(course)

    response = client_for(instructor).patch(f"{COURSES}{course.pk}/", {"price_amount": 4999}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "draft"
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT and course.is_under_re_review
    assert course.published_at == first_published and course.submitted_at is None
    # Hidden from the catalogue and the public API, and not for sale ...
    assert not _in_catalogue(course)
    assert client_for().get(f"{COURSES}{course.pk}/").status_code == 404
    assert client_for(learner).get(f"{COURSES}{course.pk}/").status_code == 404
    with pytest.raises(DomainError) as refused:
        purchases.start_course_purchase(learner, course)
    assert refused.value.code == "not_available"
    assert not access.course_access(learner, course).allowed
    # ... while enrolled learners keep their access.
    assert access.course_access(enrolled, course).allowed
    assert client_for(enrolled).get(f"{COURSES}{course.pk}/").status_code == 200

    # Nothing reaches the reviewer until the instructor resubmits.
    assert not review_queue().filter(pk=course.pk).exists()
    with pytest.raises(DomainError) as not_yet:
        course_services.approve_course(course, by=reviewer)
    assert not_yet.value.code == "not_in_review"
    submitted = client_for(instructor).post(f"{COURSES}{course.pk}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "in_review"
    assert review_queue().filter(pk=course.pk).exists()

    course_services.approve_course(course, by=reviewer)
    course.refresh_from_db()
    assert course.status == Course.Status.PUBLISHED and course.published_at == first_published
    assert _in_catalogue(course) and course.price_amount == 4999


def test_unchanged_save_keeps_it_published_and_lessons_count(instructor):
    course = course_with_lessons(instructor=instructor)
    updated_at = Course.objects.get(pk=course.pk).updated_at
    course_services.update_course(course, by=instructor, title=course.title, price_amount=course.price_amount)
    assert Course.objects.get(pk=course.pk).status == Course.Status.PUBLISHED
    assert Course.objects.get(pk=course.pk).updated_at == updated_at  # not even saved

    lesson = course.lessons.first()
    saved = course_services.update_lesson(lesson, by=instructor, body="Rewritten text")
    assert saved.course.status == Course.Status.DRAFT  # the service hands back the updated course
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT


def test_a_new_module_of_a_published_course_can_get_its_lessons_before_review(instructor):
    course = course_with_lessons(instructor=instructor)
    module = course_services.add_module(course, by=instructor, title="Bonus material")
    assert module.course.status == Course.Status.DRAFT
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT
    assert Module.objects.filter(course=course).count() == 3
    # The empty module is not in front of a reviewer, and the instructor can still add its lesson.
    with pytest.raises(DomainError) as not_ready:
        course_services.submit_for_review(course, by=instructor)
    assert not_ready.value.fields["course"] == ["Module “Bonus material” has no lessons: add one or delete the module."]
    lesson = course_services.add_lesson(module, by=instructor, title="Bonus lesson", body="Extra practice.")
    assert lesson.course.status == Course.Status.DRAFT
    assert course_services.submit_for_review(course, by=instructor).status == Course.Status.IN_REVIEW


def test_a_published_edit_that_breaks_readiness_is_kept_and_blocks_resubmission(instructor):
    course = course_with_lessons(instructor=instructor)
    response = client_for(instructor).patch(f"{COURSES}{course.pk}/", {"description": "Too short"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "draft"
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT and course.description == "Too short"
    not_ready = client_for(instructor).post(f"{COURSES}{course.pk}/submit/")
    assert not_ready.status_code == 400 and not_ready.json()["error"]["code"] == "not_ready"
    assert not_ready.json()["error"]["fields"]["course"] == [
        "Write a description of at least 50 characters so learners know what they will learn."
    ]
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT


def test_content_of_a_course_that_was_published_cannot_be_deleted(instructor):
    course = course_with_lessons(instructor=instructor)
    module = course.modules.order_by("order").first()
    lesson = module.lessons.first()
    for status in (Course.Status.PUBLISHED, Course.Status.DRAFT, Course.Status.REJECTED):
        Course.objects.filter(pk=course.pk).update(status=status)
        with pytest.raises(ConflictError, match="Lessons of a course that has been published cannot be deleted"):
            course_services.delete_lesson(lesson, by=instructor)
        with pytest.raises(ConflictError, match="Modules of a course that has been published cannot be deleted"):
            course_services.delete_module(module, by=instructor)
    assert Module.objects.filter(pk=module.pk).exists() and course.lessons.filter(pk=lesson.pk).exists()
    # A course never published is the instructor's to reshape.
    draft = course_with_lessons(factory_class=CourseFactory, instructor=instructor)
    draft_module = draft.modules.order_by("order").first()
    course_services.delete_lesson(draft_module.lessons.first(), by=instructor)
    course_services.delete_module(draft_module, by=instructor)
    assert draft.modules.count() == 1 and draft.lessons.count() == 2


def test_studio_pages_say_so_before_and_after_saving(client, instructor):
    course = course_with_lessons(instructor=instructor)
    client.force_login(instructor)
    edit = reverse("marketplace:studio_course_edit", args=[course.pk])
    notice = "This course is published: your first change makes it a draft again."
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
    assert "Course saved. The course is a draft again: it is hidden from the catalogue and not on sale" in page
    assert "This course was published before and is now a draft again" in page
    assert "Submit for review" in page and notice not in page
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT

    # The instructor keeps editing (a new module and its lesson) with no extra notice, then resubmits.
    response = client.post(reverse("marketplace:studio_module_new", args=[course.pk]), {"title": "Bonus"}, follow=True)
    assert "Module saved." in response.content.decode() and "is a draft again:" not in response.content.decode()
    bonus = course.modules.get(title="Bonus")
    response = client.post(
        reverse("marketplace:studio_lesson_new", args=[course.pk, bonus.pk]),
        {"title": "Bonus lesson", "body": "Extra practice.", "duration_minutes": 5},
        follow=True,
    )
    assert "Lesson saved." in response.content.decode()
    response = client.post(reverse("marketplace:studio_course_action", args=[course.pk, "submit"]), follow=True)
    assert "Submitted for review" in response.content.decode()
    assert "Your changes to this published course are waiting for review" in response.content.decode()
    assert Course.objects.get(pk=course.pk).status == Course.Status.IN_REVIEW


@pytest.mark.parametrize("what", ["lesson", "module"])
def test_studio_saving_needs_no_query_for_the_course_status(client, instructor, what):
    course = course_with_lessons(instructor=instructor)
    module = course.modules.order_by("order").first()
    lesson = module.lessons.first()
    client.force_login(instructor)
    if what == "lesson":
        url = reverse("marketplace:studio_lesson_edit", args=[course.pk, module.pk, lesson.pk])
        form = {"title": lesson.title, "body": "Rewritten text", "duration_minutes": lesson.duration_minutes}
    else:
        url = reverse("marketplace:studio_module_edit", args=[course.pk, module.pk])
        form = {"title": "Renamed module"}
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, form, follow=True)
    assert response.status_code == 200
    assert "is a draft again: it is hidden from the catalogue" in response.content.decode()
    # The message comes from the course the service handed back, not from re-reading its status.
    assert not [
        q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "marketplace_course"."status"')
    ]


def test_enrolled_learner_still_opens_lessons_during_re_review(client, instructor):
    course = course_with_lessons(instructor=instructor)
    learner = VerifiedUserFactory()
    EnrollmentFactory(user=learner, course=course, source=Enrollment.Source.FREE)
    assert course_services.update_course(course, by=instructor, subtitle="Updated subtitle").status == "draft"
    lesson = course.lessons.exclude(is_preview=True).first()
    client.force_login(learner)
    assert client.get(reverse("marketplace:course_detail", args=[course.slug])).status_code == 200
    assert client.get(reverse("marketplace:lesson", args=[course.slug, lesson.pk])).status_code == 200
    client.force_login(VerifiedUserFactory())
    assert client.get(reverse("marketplace:course_detail", args=[course.slug])).status_code == 404
