import re

import pytest
from django.urls import reverse

from marketplace.models import CourseCompletion
from marketplace.services import certificates, learning

from .factories import course_with_lessons

pytestmark = pytest.mark.django_db


def _complete(user, course):
    for lesson in course.lessons.all():
        learning.complete_lesson(user, lesson)
    return CourseCompletion.objects.get(user=user, course=course)


@pytest.fixture
def finished(learner, course, staff_user):
    learning.grant_enrollment(learner, course, by=staff_user)
    return _complete(learner, course)


def test_completion_gets_a_stable_unguessable_code(finished, course, staff_user):
    code = finished.certificate_code
    assert re.fullmatch(r"[A-Z2-7]{24}", code)  # 120 random bits, base32
    finished.refresh_from_db()
    assert finished.certificate_code == code
    from accounts.tests.factories import VerifiedUserFactory

    other = VerifiedUserFactory()
    learning.grant_enrollment(other, course, by=staff_user)
    assert _complete(other, course).certificate_code != code


def test_with_the_certificates_feature_the_certificate_shows_everything(client, learner, course, finished, pro_library):
    pro_library.add(learner.pk)  # Pro includes the "certificates" feature
    client.force_login(learner)
    response = client.get(reverse("marketplace:certificate", args=[course.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Certificate of completion" in body
    assert learner.name in body and course.title in body and course.instructor.name in body
    assert finished.completed_at.strftime("%Y") in body
    assert finished.certificate_code in body
    verify_url = "http://testserver" + reverse("marketplace:certificate_verify", args=[finished.certificate_code])
    assert verify_url in body
    assert "marketplace/certificate.css" in body  # the print stylesheet
    assert "style=" not in body and "<script>" not in body


def test_without_the_feature_the_page_explains_how_to_get_it(client, learner, course, finished):
    client.force_login(learner)
    response = client.get(reverse("marketplace:certificate", args=[course.slug]))
    assert response.status_code == 403
    body = response.content.decode()
    assert "Certificates are included in Pro" in body
    assert "Upgrade to Pro" in body and reverse("subscriptions:pricing") in body
    assert finished.certificate_code not in body


def test_a_course_not_completed_has_no_certificate(client, learner, course, staff_user, pro_library):
    pro_library.add(learner.pk)
    learning.grant_enrollment(learner, course, by=staff_user)
    learning.complete_lesson(learner, course.lessons.first())
    client.force_login(learner)
    response = client.get(reverse("marketplace:certificate", args=[course.slug]))
    assert response.status_code == 403
    assert "Complete every lesson of this course to earn its certificate." in response.content.decode()
    assert certificates.certificate_access(learner, course).code == "not_completed"


def test_the_certificate_page_needs_sign_in(client, course):
    response = client.get(reverse("marketplace:certificate", args=[course.slug]))
    assert response.status_code == 302 and "login" in response.url


def test_the_feature_is_asked_of_subscriptions_each_time(learner, course, finished, pro_library):
    assert certificates.certificate_access(learner, course).code == "feature_required"
    pro_library.add(learner.pk)
    granted = certificates.certificate_access(learner, course)
    assert granted and granted.completion == finished
    pro_library.clear()
    assert certificates.certificate_access(learner, course).code == "feature_required"


def test_the_public_verification_page_shows_the_certificate_is_genuine(client, learner, course, finished):
    response = client.get(reverse("marketplace:certificate_verify", args=[finished.certificate_code]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "This certificate is genuine" in body
    assert learner.name in body and course.title in body and course.instructor.name in body
    # Codes are case-insensitive when typed in by hand.
    lower = client.get(reverse("marketplace:certificate_verify", args=[finished.certificate_code.lower()]))
    assert lower.status_code == 200


def test_an_unknown_code_is_a_clear_404(client, finished):
    response = client.get(reverse("marketplace:certificate_verify", args=["NOTAREALCODE"]))
    assert response.status_code == 404
    assert "No Lyceum certificate has the code" in response.content.decode()


def test_verification_is_one_query(client, finished, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get(reverse("marketplace:certificate_verify", args=[finished.certificate_code]))


def test_my_learning_and_the_course_page_link_to_the_certificate(client, learner, course, finished, staff_user):
    unfinished = course_with_lessons()
    learning.grant_enrollment(learner, unfinished, by=staff_user)
    client.force_login(learner)
    body = client.get(reverse("marketplace:my_learning")).content.decode()
    assert reverse("marketplace:certificate", args=[course.slug]) in body
    assert reverse("marketplace:certificate", args=[unfinished.slug]) not in body
    page = client.get(reverse("marketplace:course_detail", args=[course.slug])).content.decode()
    assert "You have completed this course." in page
    assert reverse("marketplace:certificate", args=[course.slug]) in page


def test_the_course_page_says_completed_from_the_completion_record(client, learner, course, finished):
    client.force_login(learner)
    url = reverse("marketplace:course_detail", args=[course.slug])
    # A lesson added after the learner finished: not every lesson is done, yet the completion (and the
    # certificate) stand.
    from django.utils import timezone

    from marketplace.models import Lesson, LessonProgress

    module = course.modules.order_by("order").first()
    bonus = Lesson.objects.create(module=module, course=course, title="Bonus", body="More", duration_minutes=3)
    response = client.get(url)
    assert response.context["completed"] is True
    assert "You have completed this course." in response.content.decode()
    # Every lesson done but no completion recorded: the page does not claim one.
    finished.delete()
    LessonProgress.objects.create(user=learner, lesson=bonus, course=course, completed_at=timezone.now())
    assert response.context["done_count"] < response.context["lesson_total"]
    response = client.get(url)
    assert response.context["done_count"] == response.context["lesson_total"]
    assert response.context["completed"] is False
    assert "You have completed this course." not in response.content.decode()


def test_completing_the_last_lesson_lands_on_a_page_linking_the_certificate(client, learner, course, staff_user):
    learning.grant_enrollment(learner, course, by=staff_user)
    client.force_login(learner)
    lessons = list(course.lessons.order_by("module__order", "order"))
    for lesson in lessons[:-1]:
        learning.complete_lesson(learner, lesson)
    response = client.post(reverse("marketplace:complete_lesson", args=[course.slug, lessons[-1].pk]), follow=True)
    body = response.content.decode()
    assert "You have completed" in body
    assert reverse("marketplace:certificate", args=[course.slug]) in body
