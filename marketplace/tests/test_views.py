import pytest
from django.urls import reverse

from marketplace.models import Course, Enrollment, InstructorApplication, Lesson
from marketplace.services import learning

from .factories import CategoryFactory, CourseFactory, PublishedCourseFactory, course_with_lessons

pytestmark = pytest.mark.django_db


def _many_courses(n: int):
    category = CategoryFactory(slug="data", name="Data")
    for i in range(n):
        PublishedCourseFactory(category=category, title=f"Data course {i}", enrollment_count=i)


# Catalogue ---------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 15])
def test_catalogue_queries_are_fixed(client, django_assert_num_queries, count):
    _many_courses(count)
    # count + page of courses (with category and instructor) + categories
    with django_assert_num_queries(3):
        response = client.get(reverse("marketplace:catalogue"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == count


def test_catalogue_filters_search_and_hides_drafts(client):
    PublishedCourseFactory(title="Intro to Python", price_amount=0, level="beginner")
    PublishedCourseFactory(title="Advanced Rust", price_amount=5000, level="advanced", in_pro_library=True)
    CourseFactory(title="Secret Python draft")
    url = reverse("marketplace:catalogue")
    titles = lambda r: [c.title for c in r.context["page"].object_list]  # noqa: E731
    assert titles(client.get(url, {"q": "python"})) == ["Intro to Python"]
    assert titles(client.get(url, {"free": "on"})) == ["Intro to Python"]
    assert titles(client.get(url, {"pro": "on"})) == ["Advanced Rust"]
    assert titles(client.get(url, {"min_price": "10.00"})) == ["Advanced Rust"]
    assert titles(client.get(url, {"level": "advanced"})) == ["Advanced Rust"]
    assert titles(client.get(url, {"sort": "price"})) == ["Intro to Python", "Advanced Rust"]
    bad = client.get(url, {"min_price": "cheap"})
    assert bad.status_code == 400
    assert "Some filters are not valid" in bad.content.decode()


def test_catalogue_paginates(client):
    _many_courses(14)
    response = client.get(reverse("marketplace:catalogue"), {"page": 2})
    assert len(response.context["page"].object_list) == 2
    assert client.get(reverse("marketplace:catalogue"), {"page": "zzz"}).status_code == 200


# Course page -------------------------------------------------------------------------------


@pytest.mark.parametrize("modules", [1, 4])
def test_course_page_queries_are_fixed_anonymous(client, django_assert_num_queries, modules):
    course = course_with_lessons(modules=modules, lessons=3)
    # course (+category, instructor), modules, lessons, reviews
    with django_assert_num_queries(4):
        response = client.get(reverse("marketplace:course_detail", args=[course.slug]))
    assert response.status_code == 200
    assert f"Buy for {course.price_display}" not in response.content.decode()  # signed out: sign in first
    assert "Sign in to buy" in response.content.decode()


@pytest.mark.parametrize("modules", [1, 4])
def test_course_page_queries_are_fixed_enrolled(client, django_assert_num_queries, learner, staff_user, modules):
    course = course_with_lessons(modules=modules, lessons=3)
    learning.grant_enrollment(learner, course, by=staff_user)
    client.force_login(learner)
    # session + user, course, modules, lessons, enrollment, progress, reviews,
    # the viewer's own review (it may be hidden or older than the ten shown, and fills the edit form)
    with django_assert_num_queries(9):
        response = client.get(reverse("marketplace:course_detail", args=[course.slug]))
    assert "Start learning" in response.content.decode()


def test_course_page_buttons(client, learner, course):
    client.force_login(learner)
    body = client.get(reverse("marketplace:course_detail", args=[course.slug])).content.decode()
    assert "Buy for $19.99" in body
    free = course_with_lessons(price_amount=0)
    assert "Enrol for free" in client.get(reverse("marketplace:course_detail", args=[free.slug])).content.decode()


def test_draft_course_page_is_private(client, learner, instructor):
    draft = course_with_lessons(factory_class=CourseFactory, instructor=instructor)
    url = reverse("marketplace:course_detail", args=[draft.slug])
    assert client.get(url).status_code == 404
    client.force_login(instructor)
    assert "Preview: this course is draft" in client.get(url).content.decode()


# Lessons and access ------------------------------------------------------------------------


def test_locked_lesson_explains_how_to_get_access(client, learner, course):
    lesson = Lesson.objects.filter(course=course, is_preview=False).first()
    url = reverse("marketplace:lesson", args=[course.slug, lesson.pk])
    response = client.get(url)
    assert response.status_code == 403
    assert "Sign in to take this course." in response.content.decode()
    client.force_login(learner)
    response = client.get(url)
    assert response.status_code == 403
    assert "Buy this course to open its lessons." in response.content.decode()
    assert "Buy for $19.99" in response.content.decode()


def test_preview_lessons_are_open(client, course):
    lesson = Lesson.objects.filter(course=course, is_preview=True).first()
    response = client.get(reverse("marketplace:lesson", args=[course.slug, lesson.pk]))
    assert response.status_code == 200
    assert "Free preview" in response.content.decode()
    assert "Mark as complete" not in response.content.decode()


def test_lesson_of_another_course_is_404(client, course, staff_user):
    other = course_with_lessons()
    lesson = Lesson.objects.filter(course=other).first()
    client.force_login(staff_user)
    assert client.get(reverse("marketplace:lesson", args=[course.slug, lesson.pk])).status_code == 404


def test_free_enrol_learn_complete_and_my_learning(client, learner):
    course = course_with_lessons(modules=1, lessons=2, price_amount=0)
    client.force_login(learner)
    response = client.post(reverse("marketplace:start", args=[course.slug]))
    assert response.status_code == 302
    assert Enrollment.objects.filter(user=learner, course=course, source="free").exists()
    first, second = Lesson.objects.filter(course=course).order_by("order")
    response = client.get(reverse("marketplace:learn", args=[course.slug]))
    assert response.url == reverse("marketplace:lesson", args=[course.slug, first.pk])
    response = client.post(reverse("marketplace:complete_lesson", args=[course.slug, first.pk]))
    assert response.url == reverse("marketplace:lesson", args=[course.slug, second.pk])
    # Resume goes to the first lesson not done.
    assert client.get(reverse("marketplace:learn", args=[course.slug])).url.endswith(f"/{second.pk}/")
    page = client.get(reverse("marketplace:my_learning")).content.decode()
    assert "1 of 2 lessons (50%)" in page
    response = client.post(reverse("marketplace:complete_lesson", args=[course.slug, second.pk]), follow=True)
    assert "You have completed" in response.content.decode()
    assert "Completed" in client.get(reverse("marketplace:my_learning")).content.decode()


def test_buy_view_redirects_to_checkout_or_explains(client, learner, instructor, course):
    client.force_login(instructor)
    response = client.post(reverse("marketplace:buy", args=[course.slug]), follow=True)
    assert "You teach this course" in response.content.decode()


def test_my_learning_queries_are_fixed(client, learner, staff_user, django_assert_num_queries):
    for _ in range(3):
        learning.grant_enrollment(learner, course_with_lessons(modules=1, lessons=2), by=staff_user)
    client.force_login(learner)
    with django_assert_num_queries(6):  # session, user, enrolments, progress counts, completions, refunded
        assert client.get(reverse("marketplace:my_learning")).status_code == 200


# Teaching ----------------------------------------------------------------------------------


def test_apply_to_teach_page(client, learner):
    client.force_login(learner)
    url = reverse("marketplace:apply_to_teach")
    response = client.post(url, {"bio": "short", "expertise": "Python"})
    assert "at least 50 characters" in response.content.decode()
    response = client.post(url, {"bio": "b" * 80, "expertise": "Python"}, follow=True)
    assert "waiting for review" in response.content.decode()
    assert InstructorApplication.objects.filter(user=learner).count() == 1


def test_studio_requires_instructor(client, learner):
    client.force_login(learner)
    assert client.get(reverse("marketplace:studio")).url == reverse("marketplace:apply_to_teach")


def test_studio_create_module_lesson_submit(client, instructor):
    category = CategoryFactory()
    client.force_login(instructor)
    response = client.post(
        reverse("marketplace:studio_course_new"),
        {"title": "Py", "level": "beginner", "language": "en", "currency": "usd", "price": "0.50"},
    )
    body = response.content.decode()
    assert "at least 5 characters" in body and "between 100 and 100000 cents" in body
    response = client.post(
        reverse("marketplace:studio_course_new"),
        {
            "title": "Python from zero",
            "description": "A complete and friendly introduction to programming with Python for everyone.",
            "category": category.pk,
            "level": "beginner",
            "language": "en",
            "currency": "usd",
            "price": "19.99",
        },
    )
    course = Course.objects.get(title="Python from zero")
    assert course.price_amount == 1999
    assert response.url == reverse("marketplace:studio_course", args=[course.pk])
    # Submitting too early explains what is missing.
    response = client.post(reverse("marketplace:studio_course_action", args=[course.pk, "submit"]), follow=True)
    assert "Add at least one module with at least one lesson." in response.content.decode()
    client.post(reverse("marketplace:studio_module_new", args=[course.pk]), {"title": "Getting started"})
    module = course.modules.get()
    response = client.post(
        reverse("marketplace:studio_lesson_new", args=[course.pk, module.pk]),
        {"title": "Hello", "body": "", "video_url": "", "duration_minutes": 5},
    )
    assert "A lesson needs text, a video link, or both." in response.content.decode()
    client.post(
        reverse("marketplace:studio_lesson_new", args=[course.pk, module.pk]),
        {"title": "Hello", "body": "print('hi')", "duration_minutes": 5},
    )
    response = client.post(reverse("marketplace:studio_course_action", args=[course.pk, "submit"]), follow=True)
    assert "Submitted for review" in response.content.decode()
    course.refresh_from_db()
    assert course.status == Course.Status.IN_REVIEW
    page = client.get(reverse("marketplace:studio")).content.decode()
    assert "In review" in page


def test_studio_shows_reviewer_reason(client, instructor):
    course = course_with_lessons(
        factory_class=CourseFactory, instructor=instructor, status="rejected", rejection_reason="Add exercises."
    )
    client.force_login(instructor)
    body = client.get(reverse("marketplace:studio_course", args=[course.pk])).content.decode()
    assert "The reviewer asked for changes" in body and "Add exercises." in body


def test_studio_hides_other_instructors_courses(client, instructor):
    other = course_with_lessons(factory_class=CourseFactory)
    client.force_login(instructor)
    assert client.get(reverse("marketplace:studio_course", args=[other.pk])).status_code == 404
    assert client.post(reverse("marketplace:studio_course_edit", args=[other.pk]), {}).status_code == 404


def test_navigation_leads_instructors_to_the_studio_and_learners_to_teaching(client, learner, instructor):
    client.force_login(instructor)
    page = client.get("/courses/").content.decode()
    assert 'href="/studio/">Studio</a>' in page and ">Teach</a>" not in page
    client.force_login(learner)
    page = client.get("/courses/").content.decode()
    assert 'href="/teach/">Teach</a>' in page and ">Studio</a>" not in page
    client.logout()
    page = client.get("/courses/").content.decode()
    assert ">Teach</a>" not in page and ">Studio</a>" not in page
