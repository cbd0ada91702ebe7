import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from config.errors import DomainError
from marketplace import access
from marketplace.models import Course, CourseCompletion, Enrollment, InstructorApplication, Lesson, LessonProgress
from marketplace.rendering import plain_text, render_markdown
from marketplace.services import courses, instructors, learning
from marketplace.signals import course_completed
from marketplace.validators import MAX_COVER_BYTES

from .factories import (
    CategoryFactory,
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    course_with_lessons,
)

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


# Instructor applications -------------------------------------------------------------------


def test_application_validation_explains_itself(learner):
    with pytest.raises(DomainError) as exc:
        instructors.apply_to_teach(learner, bio="Too short", expertise="")
    assert "at least 50 characters (it has 9)" in exc.value.fields["bio"][0]
    assert exc.value.fields["expertise"] == ["Your expertise is required."]


def test_one_pending_application_at_a_time(learner):
    instructors.apply_to_teach(learner, bio="x" * 60, expertise="Python")
    with pytest.raises(DomainError) as exc:
        instructors.apply_to_teach(learner, bio="y" * 60, expertise="Python")
    assert exc.value.code == "application_pending"


def test_approval_grants_the_role_and_emails(learner, staff_user, django_capture_on_commit_callbacks):
    application = instructors.apply_to_teach(learner, bio="x" * 60, expertise="Python")
    with django_capture_on_commit_callbacks(execute=True):
        instructors.approve_application(application, by=staff_user)
    learner.refresh_from_db()
    assert learner.is_instructor
    assert [m.subject for m in mail.outbox] == ["You can now teach on Lyceum"]
    with pytest.raises(DomainError, match="already approved"):
        instructors.reject_application(application, by=staff_user)


def test_rejection_emails_the_note_and_allows_a_new_application(
    learner, staff_user, django_capture_on_commit_callbacks
):
    application = instructors.apply_to_teach(learner, bio="x" * 60, expertise="Python")
    with django_capture_on_commit_callbacks(execute=True):
        instructors.reject_application(application, by=staff_user, note="Tell us about your teaching experience.")
    assert application.__class__.objects.get().status == InstructorApplication.Status.REJECTED
    assert "teaching experience" in mail.outbox[0].body
    learner.refresh_from_db()
    assert not learner.is_instructor
    instructors.apply_to_teach(learner, bio="z" * 60, expertise="Python")


# Authoring ---------------------------------------------------------------------------------


def test_only_instructors_create_courses(learner):
    with pytest.raises(DomainError) as exc:
        courses.create_course(learner, title="A good course")
    assert exc.value.status_code == 403


def test_course_validation_lists_every_problem(instructor):
    with pytest.raises(DomainError) as exc:
        courses.create_course(instructor, title="Py", price_amount=50, currency="jpy", subtitle="s" * 201)
    fields = exc.value.fields
    assert fields["title"] == ["The title must be at least 5 characters (it has 2)."]
    assert "either 0 (a free course) or between 100 and 100000 cents" in fields["price_amount"][0]
    assert fields["currency"] == ["Choose USD, EUR or GBP."]
    assert "at most 200 characters" in fields["subtitle"][0]


@pytest.mark.parametrize("price", [0, 100, 100_000])
def test_price_bounds_accept_free_and_the_limits(instructor, price):
    assert courses.create_course(instructor, title="Good course", price_amount=price).price_amount == price


@pytest.mark.parametrize("price", [1, 99, 100_001])
def test_price_bounds_refuse_the_rest(instructor, price):
    with pytest.raises(DomainError):
        courses.create_course(instructor, title="Good course", price_amount=price)


def test_database_refuses_out_of_bounds_prices(instructor):
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseFactory(instructor=instructor, price_amount=50)


def test_slugs_are_unique(instructor):
    first = courses.create_course(instructor, title="Django for beginners")
    second = courses.create_course(instructor, title="Django for beginners")
    assert (first.slug, second.slug) == ("django-for-beginners", "django-for-beginners-2")


def test_cover_image_checked_by_content_and_size(instructor):
    fake = SimpleUploadedFile("cover.png", b"GIF89a not really a png", content_type="image/png")
    with pytest.raises(DomainError) as exc:
        courses.create_course(instructor, title="Good course", cover_image=fake)
    assert exc.value.fields["cover_image"] == ["The cover image must be a PNG, JPEG or WebP image."]
    big = SimpleUploadedFile("cover.png", PNG + b"\0" * MAX_COVER_BYTES, content_type="image/png")
    with pytest.raises(DomainError, match="the limit is 2 MB"):
        courses.create_course(instructor, title="Good course", cover_image=big)
    for head in (PNG, b"\xff\xd8\xff\xe0" + b"\0" * 50, b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 50):
        ok = SimpleUploadedFile("cover.img", head, content_type="application/octet-stream")
        assert courses.create_course(instructor, title="Good course", cover_image=ok).cover_image


def test_only_the_instructor_edits(course, learner):
    other = InstructorFactory()
    with pytest.raises(DomainError) as exc:
        courses.update_course(course, by=other, title="Taken over")
    assert exc.value.status_code == 403


def test_lesson_validation(instructor):
    course = courses.create_course(instructor, title="Good course")
    module = courses.add_module(course, by=instructor, title="Basics")
    with pytest.raises(DomainError) as exc:
        courses.add_lesson(module, by=instructor, title="L", video_url="javascript:alert(1)", duration_minutes=0)
    fields = exc.value.fields
    assert "at least 3 characters" in fields["title"][0]
    assert fields["video_url"] == ["The video link must be a full web address starting with https://."]
    assert "between 1 and 600" in fields["duration_minutes"][0]
    lesson = courses.add_lesson(module, by=instructor, title="Hello", body="Text")
    assert (lesson.course, lesson.order) == (course, 1)


# Review workflow ---------------------------------------------------------------------------


def test_submit_requires_a_module_with_a_lesson(instructor):
    course = courses.create_course(instructor, title="Good course", description="d" * 60, category=CategoryFactory())
    with pytest.raises(DomainError) as exc:
        courses.submit_for_review(course, by=instructor)
    assert exc.value.fields["course"] == ["Add at least one module with at least one lesson."]
    module = courses.add_module(course, by=instructor, title="Basics")
    with pytest.raises(DomainError, match="Module “Basics” has no lessons"):
        courses.submit_for_review(course, by=instructor)
    courses.add_lesson(module, by=instructor, title="Hello", body="Text")
    assert courses.submit_for_review(course, by=instructor).status == Course.Status.IN_REVIEW


def test_in_review_courses_cannot_be_edited(instructor):
    course = course_with_lessons(factory_class=CourseFactory, instructor=instructor)
    courses.submit_for_review(course, by=instructor)
    with pytest.raises(DomainError, match="withdraw it from review"):
        courses.update_course(course, by=instructor, title="Changed title")
    courses.withdraw_from_review(course, by=instructor)
    assert courses.update_course(course, by=instructor, title="Changed title").title == "Changed title"


def test_approve_publishes_and_emails(instructor, reviewer, django_capture_on_commit_callbacks):
    course = course_with_lessons(factory_class=CourseFactory, instructor=instructor)
    courses.submit_for_review(course, by=instructor)
    with django_capture_on_commit_callbacks(execute=True):
        courses.approve_course(course, by=reviewer)
    course.refresh_from_db()
    assert course.status == Course.Status.PUBLISHED and course.published_at
    assert mail.outbox[0].to == [instructor.email] and "is published" in mail.outbox[0].subject


def test_reject_needs_a_reason_then_back_to_draft_on_edit(instructor, reviewer, django_capture_on_commit_callbacks):
    course = course_with_lessons(factory_class=CourseFactory, instructor=instructor)
    courses.submit_for_review(course, by=instructor)
    with pytest.raises(DomainError, match="The reason is required"):
        courses.reject_course(course, by=reviewer, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        courses.reject_course(course, by=reviewer, reason="The lessons need more examples.")
    course.refresh_from_db()
    assert course.status == Course.Status.REJECTED
    assert "more examples" in mail.outbox[0].body
    course = courses.update_course(course, by=instructor, subtitle="Now with examples")
    assert course.status == Course.Status.DRAFT
    assert course.rejection_reason == "The lessons need more examples."
    assert courses.submit_for_review(course, by=instructor).status == Course.Status.IN_REVIEW


def test_only_content_reviewers_decide(instructor, staff_user):
    course = course_with_lessons(factory_class=CourseFactory, instructor=instructor)
    courses.submit_for_review(course, by=instructor)
    with pytest.raises(DomainError) as exc:
        courses.approve_course(course, by=staff_user)
    assert exc.value.status_code == 403
    with pytest.raises(DomainError):
        courses.approve_course(course, by=instructor)


def test_cannot_approve_a_draft(instructor, reviewer):
    course = course_with_lessons(factory_class=CourseFactory, instructor=instructor)
    with pytest.raises(DomainError, match="Only courses in review"):
        courses.approve_course(course, by=reviewer)


def test_archive_keeps_enrolled_learners(course, instructor, learner):
    enrollment = EnrollmentFactory(user=learner, course=course)
    courses.archive_course(course, by=instructor)
    course.refresh_from_db()
    assert access.course_access(learner, course).allowed
    assert access.course_access(InstructorFactory(), course).reason == "archived"
    assert enrollment.is_active


# Access rules ------------------------------------------------------------------------------


def test_access_rules(course, instructor, learner, staff_user, pro_library):
    preview = Lesson.objects.filter(course=course, is_preview=True).first()
    locked = Lesson.objects.filter(course=course, is_preview=False).first()
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert access.lesson_access(anonymous, preview, course).reason == "preview"
    assert access.lesson_access(anonymous, locked, course).reason == "sign_in"
    assert access.lesson_access(learner, locked, course).reason == "buy"
    assert access.lesson_access(instructor, locked, course).reason == "instructor"
    assert access.lesson_access(staff_user, locked, course).reason == "staff"
    # Pro library: only for Pro-library courses and only while the feature is held.
    pro_library.add(learner.pk)
    assert access.lesson_access(learner, locked, course).reason == "buy"
    course.in_pro_library = True
    course.save()
    assert access.lesson_access(learner, locked, course).reason == "pro_library"
    pro_library.clear()
    assert access.lesson_access(learner, locked, course).reason == "pro"
    learning.grant_enrollment(learner, course, by=staff_user)
    assert access.lesson_access(learner, locked, course).reason == "enrolled"


def test_draft_courses_are_closed_to_learners(instructor, learner):
    course = course_with_lessons(factory_class=CourseFactory, instructor=instructor)
    lesson = Lesson.objects.filter(course=course, is_preview=True).first()
    assert not access.lesson_access(learner, lesson)
    assert access.lesson_access(instructor, lesson)


def test_a_learner_without_pro_has_no_pro_library(learner):
    assert access.has_feature(learner, "pro_library") is False


def test_revoked_enrollment_gives_no_access(course, learner, staff_user):
    enrollment = learning.grant_enrollment(learner, course, by=staff_user)
    learning.revoke_enrollment(enrollment, reason="test")
    assert not access.course_access(learner, course)
    course.refresh_from_db()
    assert course.enrollment_count == 0


# Enrolling ---------------------------------------------------------------------------------


def test_free_enrollment_once(learner, django_capture_on_commit_callbacks):
    course = course_with_lessons(price_amount=0)
    with django_capture_on_commit_callbacks(execute=True):
        first = learning.enroll_free(learner, course)
        second = learning.enroll_free(learner, course)
    assert first == second
    course.refresh_from_db()
    assert course.enrollment_count == 1
    assert len(mail.outbox) == 1


def test_paid_course_cannot_be_enrolled_for_free(course, learner):
    with pytest.raises(DomainError, match="costs \\$19.99"):
        learning.enroll_free(learner, course)


def test_pro_start_requires_the_feature(course, learner, pro_library):
    course.in_pro_library = True
    course.save()
    with pytest.raises(DomainError) as exc:
        learning.start_with_pro(learner, course)
    assert exc.value.code == "feature_required"
    pro_library.add(learner.pk)
    assert learning.start_with_pro(learner, course).source == Enrollment.Source.PRO_LIBRARY


def test_database_allows_one_active_enrollment(course, learner):
    EnrollmentFactory(user=learner, course=course)
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentFactory(user=learner, course=course)


# Progress ----------------------------------------------------------------------------------


def test_completing_every_lesson_signals_once(course, learner, staff_user, django_capture_on_commit_callbacks):
    learning.grant_enrollment(learner, course, by=staff_user)
    received = []

    def receiver(sender, user, course, completion, **kwargs):
        received.append((user.pk, course.pk))

    course_completed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            lessons = list(Lesson.objects.filter(course=course))
            for lesson in lessons:
                learning.complete_lesson(learner, lesson)
            for lesson in lessons:  # again: nothing new
                learning.complete_lesson(learner, lesson)
    finally:
        course_completed.disconnect(receiver)
    assert received == [(learner.pk, course.pk)]
    assert CourseCompletion.objects.filter(user=learner, course=course).count() == 1
    assert LessonProgress.objects.filter(user=learner).count() == len(lessons)
    assert Enrollment.objects.get(user=learner).last_lesson == lessons[-1]


def test_progress_needs_access(course, learner):
    lesson = Lesson.objects.filter(course=course, is_preview=True).first()
    with pytest.raises(DomainError) as exc:
        learning.complete_lesson(learner, lesson)
    assert exc.value.status_code == 403
    assert "Buy this course" in exc.value.message


def test_pro_progress_records_an_enrollment(course, learner, pro_library):
    course.in_pro_library = True
    course.save()
    pro_library.add(learner.pk)
    learning.complete_lesson(learner, Lesson.objects.filter(course=course).first())
    assert Enrollment.objects.get(user=learner, course=course).source == Enrollment.Source.PRO_LIBRARY


# Rendering ---------------------------------------------------------------------------------


def test_markdown_is_sanitised():
    html = render_markdown("# T\n\n**bold** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://a.example)")
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html
    assert 'href="https://a.example"' in html and "noopener" in html
    assert plain_text("<b>Great</b> course & more") == "Great course & more"


@pytest.mark.parametrize(
    "encoded",
    [
        "&lt;script&gt;alert(1)&lt;/script&gt;Fine",
        "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;Fine",
        "&amp;amp;lt;b&amp;amp;gt;Fine",
    ],
)
def test_plain_text_removes_entity_encoded_tags_for_every_caller(encoded):
    cleaned = plain_text(encoded)
    assert "<" not in cleaned and ">" not in cleaned
    assert cleaned.endswith("Fine")
    assert plain_text(cleaned) == cleaned  # stable: cleaning again changes nothing


def test_plain_text_never_returns_a_tag_however_deep_the_encoding():
    deep = "<b>x</b>"
    for _ in range(15):
        deep = deep.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    cleaned = plain_text(deep)
    assert "<" not in cleaned and ">" not in cleaned
