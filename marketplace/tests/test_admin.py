import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse

from marketplace.models import Course, InstructorApplication
from marketplace.services import courses, instructors

from .factories import CourseFactory, course_with_lessons

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:marketplace_course_changelist")


def _submitted(instructor):
    course = course_with_lessons(factory_class=CourseFactory, instructor=instructor)
    return courses.submit_for_review(course, by=instructor)


def test_review_queue_lists_courses_in_review(client, reviewer, instructor):
    course = _submitted(instructor)
    CourseFactory(title="Just a draft")
    client.force_login(reviewer)
    response = client.get(CHANGELIST, {"status__exact": "in_review"})
    assert response.status_code == 200
    body = response.content.decode()
    assert course.title in body and "Just a draft" not in body
    assert reverse("marketplace:course_detail", args=[course.slug]) in body  # preview link
    assert client.get(reverse("marketplace:course_detail", args=[course.slug])).status_code == 200


def test_approve_action(client, reviewer, instructor, django_capture_on_commit_callbacks):
    course = _submitted(instructor)
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGELIST, {"action": "approve", ACTION_CHECKBOX_NAME: [course.pk]}, follow=True)
    assert "1 course(s) approved and published" in response.content.decode()
    assert Course.objects.get(pk=course.pk).status == Course.Status.PUBLISHED
    assert len(mail.outbox) == 1


def test_reject_action_asks_for_a_reason(client, reviewer, instructor, django_capture_on_commit_callbacks):
    course = _submitted(instructor)
    client.force_login(reviewer)
    response = client.post(CHANGELIST, {"action": "reject", ACTION_CHECKBOX_NAME: [course.pk]})
    assert response.status_code == 200 and "Reject with this reason" in response.content.decode()
    response = client.post(
        CHANGELIST, {"action": "reject", "apply": "1", "reason": "short", ACTION_CHECKBOX_NAME: [course.pk]}
    )
    assert "at least 10 characters" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            CHANGELIST,
            {"action": "reject", "apply": "1", "reason": "Please add exercises.", ACTION_CHECKBOX_NAME: [course.pk]},
        )
    course.refresh_from_db()
    assert course.status == Course.Status.REJECTED and course.rejection_reason == "Please add exercises."
    assert "Please add exercises." in mail.outbox[0].body


def test_staff_without_review_role_cannot_review(client, staff_user, instructor):
    from accounts.tests.factories import StaffUserFactory

    course = _submitted(instructor)
    client.force_login(StaffUserFactory())  # staff in no group: not even the list
    assert client.get(CHANGELIST).status_code == 403
    client.force_login(staff_user)  # Support sees courses but may not review them
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    offered = page.context["action_form"].fields["action"].choices if page.context["action_form"] else []
    assert "approve" not in dict(offered)
    client.post(CHANGELIST, {"action": "approve", ACTION_CHECKBOX_NAME: [course.pk]})
    assert Course.objects.get(pk=course.pk).status == Course.Status.IN_REVIEW


def test_application_approval_action(client, reviewer, learner):
    application = instructors.apply_to_teach(learner, bio="b" * 60, expertise="Cooking")
    client.force_login(reviewer)
    url = reverse("admin:marketplace_instructorapplication_changelist")
    response = client.post(url, {"action": "approve", ACTION_CHECKBOX_NAME: [application.pk]}, follow=True)
    assert "1 application(s) approved" in response.content.decode()
    assert InstructorApplication.objects.get().status == "approved"
    learner.refresh_from_db()
    assert learner.is_instructor


def test_every_admin_page_renders(client, superuser, course):
    client.force_login(superuser)
    for model in ("category", "course", "module", "lesson", "instructorapplication", "enrollment", "review"):
        assert client.get(reverse(f"admin:marketplace_{model}_changelist")).status_code == 200, model
    assert client.get(reverse("admin:marketplace_course_change", args=[course.pk])).status_code == 200
