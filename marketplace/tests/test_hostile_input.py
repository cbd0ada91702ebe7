"""Issue 11, defects 6 and 7: prices no number type can hold, and titles that would break e-mail headers."""

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from marketplace import emails
from marketplace.models import Course
from marketplace.services import courses as course_services

from .factories import CourseFactory, ModuleFactory, PublishedCourseFactory

pytestmark = pytest.mark.django_db
COURSES = "/api/v1/courses/"


# Prices in filters (defect 6) ----------------------------------------------------------------


@pytest.mark.parametrize("param", ["min_price", "max_price"])
@pytest.mark.parametrize("value", ["1e308", "1E+400", "99999999999999999999999999999", "1e-400", "NaN", "-Infinity"])
def test_the_catalogue_page_answers_a_400_with_the_form_for_an_impossible_price(client, param, value):
    PublishedCourseFactory(title="Still listed")
    response = client.get(reverse("marketplace:catalogue"), {param: value})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Some filters are not valid" in page
    assert "Enter an amount" in page
    assert [c.title for c in response.context["page"].object_list] == ["Still listed"]


@pytest.mark.parametrize("param", ["min_price", "max_price"])
@pytest.mark.parametrize("value", ["1e308", str(10**30), "-1"])
def test_the_catalogue_api_answers_a_400_naming_the_price(param, value):
    response = APIClient().get(COURSES, {param: value})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {param}


# Titles are one line; subjects are built safely (defect 7) -----------------------------------


@pytest.mark.parametrize("title", ["Line one\nBcc: victim@example.com", "Tabbed\ttitle here", "Carriage\rreturn"])
def test_course_titles_with_line_breaks_are_refused_by_api_and_studio(instructor, client, title):
    api = APIClient()
    api.force_authenticate(instructor)
    response = api.post(COURSES, {"title": title, "price_amount": 0}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["title"] == [
        "The title must be on one line, without line breaks or tabs."
    ]

    client.force_login(instructor)
    form = {"title": title, "level": "beginner", "language": "en", "currency": "usd", "price": ""}
    page = client.post(reverse("marketplace:studio_course_new"), form)
    assert "must be on one line" in page.content.decode()
    assert not Course.objects.exists()


def test_subtitles_module_and_lesson_titles_are_one_line_too(instructor):
    course = CourseFactory(instructor=instructor)
    with pytest.raises(course_services.DomainError) as refused:
        course_services.update_course(course, by=instructor, subtitle="one\ntwo")
    assert "subtitle" in refused.value.fields
    with pytest.raises(course_services.DomainError):
        course_services.add_module(course, by=instructor, title="Module\none")
    module = ModuleFactory(course=course)
    with pytest.raises(course_services.DomainError) as refused:
        course_services.add_lesson(module, by=instructor, title="Lesson\u2028one", body="Some text")
    assert "title" in refused.value.fields


def test_an_e_mail_about_a_title_that_holds_a_line_break_is_still_sent_on_one_line(instructor):
    """Titles saved before the rule (or by any other path) must not stop the e-mail (BadHeaderError)."""
    course = CourseFactory(instructor=instructor, title="Old title\r\nBcc: victim@example.com")
    emails.send_now("course_approved", instructor, {"course": course})
    [sent] = mail.outbox
    assert sent.subject == "“Old title Bcc: victim@example.com” is published"
    assert sent.to == [instructor.email] and not sent.bcc
