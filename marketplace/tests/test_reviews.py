import io
import threading
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accounts.roles import sync_staff_groups
from accounts.tests.factories import StaffUserFactory, VerifiedUserFactory
from config.errors import DomainError
from marketplace.models import Course, Review
from marketplace.services import learning, reviews

from .factories import course_with_lessons

pytestmark = pytest.mark.django_db
GOOD = "Clear explanations and useful exercises."


def _learner_with_progress(course, staff, user=None):
    user = user or VerifiedUserFactory()
    learning.grant_enrollment(user, course, by=staff)
    learning.complete_lesson(user, course.lessons.order_by("id").first())
    return user


def _rating(course) -> tuple[Decimal, int]:
    course = Course.objects.get(pk=course.pk)
    return course.rating_average, course.rating_count


@pytest.fixture
def moderator(db):
    sync_staff_groups()
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name="Content review"))
    return user


# Who may review ----------------------------------------------------------------------------


def test_enrolled_learner_with_progress_reviews_and_the_rating_follows(course, staff_user):
    learner = _learner_with_progress(course, staff_user)
    review, created = reviews.submit_review(learner, course, 4, GOOD)
    assert created and review.rating == 4 and review.text == GOOD
    assert _rating(course) == (Decimal("4.00"), 1)


def test_learners_without_enrolment_or_progress_and_the_instructor_are_refused(course, learner, staff_user):
    with pytest.raises(DomainError) as exc:
        reviews.submit_review(learner, course, 5, GOOD)
    assert (exc.value.code, exc.value.status_code) == ("not_enrolled", 403)
    assert "enrol first" in exc.value.message

    learning.grant_enrollment(learner, course, by=staff_user)
    with pytest.raises(DomainError) as exc:
        reviews.submit_review(learner, course, 5, GOOD)
    assert exc.value.code == "no_progress"
    assert exc.value.message == "Complete at least one lesson before you review this course."

    with pytest.raises(DomainError) as exc:
        reviews.submit_review(course.instructor, course, 5, GOOD)
    assert exc.value.code == "own_course"
    assert not Review.objects.exists()
    assert _rating(course) == (Decimal("0"), 0)


def test_a_revoked_enrolment_no_longer_allows_reviewing(course, staff_user):
    learner = _learner_with_progress(course, staff_user)
    enrollment = learner.enrollments.get()
    learning.revoke_enrollment(enrollment, reason="Refunded")
    with pytest.raises(DomainError) as exc:
        reviews.submit_review(learner, course, 5, GOOD)
    assert exc.value.code == "not_enrolled"


def test_pro_library_learners_may_review_pro_courses(learner, instructor, pro_library):
    course = course_with_lessons(instructor=instructor, in_pro_library=True)
    pro_library.add(learner.pk)
    assert reviews.review_eligibility(learner, course).code == "no_progress"  # allowed in, but no lesson done yet
    learning.complete_lesson(learner, course.lessons.order_by("id").first())
    review, created = reviews.submit_review(learner, course, 5, GOOD)
    assert created and _rating(course) == (Decimal("5.00"), 1)


def test_a_lapsed_pro_enrolment_no_longer_allows_reviewing(learner, instructor, pro_library):
    from django.utils import timezone

    from marketplace import access
    from marketplace.models import Enrollment, LessonProgress

    from .factories import EnrollmentFactory

    course = course_with_lessons(instructor=instructor, in_pro_library=True)
    EnrollmentFactory(user=learner, course=course, source=Enrollment.Source.PRO_LIBRARY)
    lesson = course.lessons.order_by("id").first()
    LessonProgress.objects.create(user=learner, lesson=lesson, course=course, completed_at=timezone.now())
    # Pro has lapsed (the learner no longer has the feature): the lessons are closed, and so are reviews.
    assert access.course_access(learner, course).reason == "pro_lapsed"
    eligibility = reviews.review_eligibility(learner, course)
    assert (eligibility.allowed, eligibility.code) == (False, "not_enrolled")
    with pytest.raises(DomainError) as exc:
        reviews.submit_review(learner, course, 5, GOOD)
    assert (exc.value.code, exc.value.status_code) == ("not_enrolled", 403)
    # With Pro again, the same enrolment counts.
    pro_library.add(learner.pk)
    assert reviews.review_eligibility(learner, course).code == "ok"
    assert reviews.submit_review(learner, course, 5, GOOD)[1] is True


def test_staff_review_as_learners_do(course, staff_user):
    assert reviews.review_eligibility(staff_user, course).code == "not_enrolled"  # seeing it is not taking it
    _learner_with_progress(course, staff_user, user=staff_user)
    assert reviews.review_eligibility(staff_user, course).code == "ok"


def test_without_pro_a_pro_course_cannot_be_reviewed(learner, instructor):
    course = course_with_lessons(instructor=instructor, in_pro_library=True)
    assert reviews.review_eligibility(learner, course).code == "not_enrolled"


# What they write ---------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [0, 6, -1, 4.5, "5", None, True])
def test_the_rating_is_a_whole_number_from_one_to_five(course, staff_user, rating):
    learner = _learner_with_progress(course, staff_user)
    with pytest.raises(DomainError) as exc:
        reviews.submit_review(learner, course, rating, GOOD)
    assert exc.value.fields == {"rating": ["The rating is a whole number of stars from 1 to 5."]}
    assert not Review.objects.exists()


def test_the_text_is_length_limited(course, staff_user):
    learner = _learner_with_progress(course, staff_user)
    with pytest.raises(DomainError) as exc:
        reviews.submit_review(learner, course, 5, "Good")
    assert exc.value.fields["text"] == ["Your review must be at least 10 characters (it has 4)."]
    with pytest.raises(DomainError) as exc:
        reviews.submit_review(learner, course, 5, "x" * 2001)
    assert exc.value.fields["text"] == ["Your review must be at most 2000 characters (it has 2001)."]
    with pytest.raises(DomainError) as exc:
        reviews.submit_review(learner, course, 5, "   ")
    assert exc.value.fields["text"] == ["Your review is required."]
    assert not Review.objects.exists()


def test_html_is_stripped_from_reviews_and_replies(course, staff_user):
    learner = _learner_with_progress(course, staff_user)
    review, _ = reviews.submit_review(
        learner, course, 5, '<script>alert("x")</script>Great <b>course</b>, <a href="javascript:x">really</a>!'
    )
    assert review.text == "Great course, really!"
    # Entity-encoded markup cannot sneak a tag back in after unescaping.
    review, _ = reviews.submit_review(learner, course, 5, "&lt;script&gt;alert(1)&lt;/script&gt;Well worth it")
    assert "<script" not in review.text and review.text == "Well worth it"
    reply = reviews.reply_to_review(course.instructor, review, "<img src=x onerror=alert(1)>Thank you!")
    assert reply.reply == "Thank you!"


def test_only_markup_counts_as_no_text(course, staff_user):
    learner = _learner_with_progress(course, staff_user)
    with pytest.raises(DomainError) as exc:
        reviews.submit_review(learner, course, 5, "<script>a very long script body here</script>")
    assert exc.value.fields["text"] == ["Your review is required."]


# One review, editable; the average stays right ---------------------------------------------


def test_a_second_submission_edits_the_review_and_the_average_follows(course, staff_user, moderator):
    first = _learner_with_progress(course, staff_user)
    second = _learner_with_progress(course, staff_user)
    reviews.submit_review(first, course, 5, GOOD)
    reviews.submit_review(second, course, 2, "Too fast for beginners, sadly.")
    assert _rating(course) == (Decimal("3.50"), 2)

    review, created = reviews.submit_review(second, course, 4, "Better on a second pass, actually.")
    assert not created
    assert Review.objects.filter(course=course, user=second).count() == 1
    assert review.text == "Better on a second pass, actually."
    assert _rating(course) == (Decimal("4.50"), 2)

    third = _learner_with_progress(course, staff_user)
    reviews.submit_review(third, course, 4, GOOD)
    assert _rating(course) == (Decimal("4.33"), 3)  # 13 / 3, rounded half up to two places

    hidden = reviews.hide_review(moderator, Review.objects.get(user=first), "Spam link in the text")
    assert _rating(course) == (Decimal("4.00"), 2)
    assert (hidden.hidden_by, hidden.hidden_reason) == (moderator, "Spam link in the text")

    # Editing a hidden review keeps it hidden and out of the average.
    reviews.submit_review(first, course, 1, "Edited after being hidden.")
    assert Review.objects.get(user=first).hidden_at is not None
    assert _rating(course) == (Decimal("4.00"), 2)

    reviews.unhide_review(moderator, Review.objects.get(user=first))
    assert _rating(course) == (Decimal("3.00"), 3)


# Replies and moderation --------------------------------------------------------------------


def test_the_instructor_replies_once(course, staff_user):
    learner = _learner_with_progress(course, staff_user)
    review, _ = reviews.submit_review(learner, course, 3, GOOD)
    with pytest.raises(DomainError) as exc:
        reviews.reply_to_review(learner, review, "I am not the instructor")
    assert (exc.value.code, exc.value.status_code) == ("not_instructor", 403)
    with pytest.raises(DomainError) as exc:
        reviews.reply_to_review(course.instructor, review, "")
    assert exc.value.fields == {"reply": ["Your reply is required."]}

    replied = reviews.reply_to_review(course.instructor, review, "Thanks, part 2 goes slower.")
    assert replied.reply == "Thanks, part 2 goes slower." and replied.replied_at is not None
    with pytest.raises(DomainError) as exc:
        reviews.reply_to_review(course.instructor, review, "A second reply")
    assert (exc.value.code, exc.value.status_code) == ("replied", 409)
    assert "one reply" in exc.value.message
    assert Review.objects.get().reply == "Thanks, part 2 goes slower."


def test_hiding_needs_a_moderator_and_a_reason(course, staff_user, moderator, learner):
    reviewer = _learner_with_progress(course, staff_user)
    review, _ = reviews.submit_review(reviewer, course, 1, "Abusive words here, really.")
    for not_allowed in (learner, course.instructor, staff_user):  # staff_user: staff but not a review moderator
        with pytest.raises(DomainError) as exc:
            reviews.hide_review(not_allowed, review, "Abusive")
        assert exc.value.code == "not_moderator"
    with pytest.raises(DomainError) as exc:
        reviews.hide_review(moderator, review, " ")
    assert exc.value.fields == {"reason": ["The reason is required."]}
    reviews.hide_review(moderator, review, "Abusive language")
    assert _rating(course) == (Decimal("0"), 0)
    with pytest.raises(DomainError) as exc:
        reviews.hide_review(moderator, review, "Abusive language")
    assert exc.value.code == "already_hidden"
    with pytest.raises(DomainError) as exc:
        reviews.reply_to_review(course.instructor, review, "Replying to a hidden review")
    assert exc.value.code == "hidden"
    reviews.unhide_review(moderator, review)
    with pytest.raises(DomainError) as exc:
        reviews.unhide_review(moderator, review)
    assert exc.value.code == "not_hidden"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_keep_the_count_and_average_right(instructor):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    course = course_with_lessons(instructor=instructor)
    from accounts.tests.factories import staff_in

    staff = staff_in("Support")  # gives the courses
    learners = [_learner_with_progress(course, staff) for _ in range(6)]
    barrier = threading.Barrier(len(learners) + 1)
    errors = []

    def review(user, rating):
        try:
            barrier.wait()
            reviews.submit_review(user, course, rating, GOOD)
            reviews.submit_review(user, course, rating, GOOD + " Edited.")  # the edit path races too
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=review, args=(user, 1 + n % 5)) for n, user in enumerate(learners)]
    threads.append(threading.Thread(target=review, args=(learners[0], 1)))  # the same learner twice at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert Review.objects.filter(course=course).count() == 6
    ratings = list(Review.objects.filter(course=course).values_list("rating", flat=True))
    expected = (Decimal(sum(ratings)) / 6).quantize(Decimal("0.01"))
    assert _rating(course) == (expected, 6)


# Pages -------------------------------------------------------------------------------------


def test_course_page_shows_the_form_to_eligible_learners_and_says_why_to_others(client, course, staff_user, learner):
    url = reverse("marketplace:course_detail", args=[course.slug])
    body = client.get(url).content.decode()
    assert "Sign in</a> to review this course." in body

    client.force_login(learner)
    body = client.get(url).content.decode()
    assert "Only learners taking this course can review it: enrol first." in body
    assert 'name="rating"' not in body

    learning.grant_enrollment(learner, course, by=staff_user)
    body = client.get(url).content.decode()
    assert "Complete at least one lesson before you review this course." in body

    learning.complete_lesson(learner, course.lessons.order_by("id").first())
    body = client.get(url).content.decode()
    assert "Review this course" in body and 'name="rating"' in body and "Publish my review" in body


def test_reviewing_from_the_page_with_bad_input_rerenders_with_specific_messages(client, course, staff_user):
    learner = _learner_with_progress(course, staff_user)
    client.force_login(learner)
    url = reverse("marketplace:review_course", args=[course.slug])
    response = client.post(url, {"text": "Short"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "The rating is a whole number of stars from 1 to 5." in body
    assert "Your review must be at least 10 characters (it has 5)." in body
    assert not Review.objects.exists()

    response = client.post(url, {"rating": "9", "text": GOOD})
    assert "Choose a rating from 1 to 5 stars." in response.content.decode()

    response = client.post(url, {"rating": "4", "text": GOOD})
    assert response.status_code == 302 and response.url.endswith("#reviews")
    page = client.get(reverse("marketplace:course_detail", args=[course.slug])).content.decode()
    assert GOOD in page and "Edit your review" in page and "★ 4.0" in page and "1 review" in page

    client.post(url, {"rating": "2", "text": "Changed my mind on the pace."})
    assert Review.objects.get().rating == 2
    assert _rating(course) == (Decimal("2.00"), 1)


def test_the_review_page_explains_why_someone_cannot_review(client, course, learner):
    client.force_login(learner)
    response = client.get(reverse("marketplace:review_course", args=[course.slug]))
    assert response.status_code == 403
    assert "Only learners taking this course can review it" in response.content.decode()
    response = client.post(reverse("marketplace:review_course", args=[course.slug]), {"rating": "5", "text": GOOD})
    assert response.status_code == 403 and not Review.objects.exists()


def test_review_text_is_shown_escaped(client, course, staff_user):
    learner = _learner_with_progress(course, staff_user)
    reviews.submit_review(learner, course, 5, "I <3 this course <script>alert(1)</script>& its pace")
    body = client.get(reverse("marketplace:course_detail", args=[course.slug])).content.decode()
    assert "I &lt;3 this course &amp; its pace" in body
    assert "alert(1)" not in body and "<script>alert" not in body


def test_hidden_reviews_vanish_from_the_page(client, course, staff_user, moderator):
    learner = _learner_with_progress(course, staff_user)
    review, _ = reviews.submit_review(learner, course, 1, "Rude words that break the rules.")
    reviews.hide_review(moderator, review, "Abusive")
    body = client.get(reverse("marketplace:course_detail", args=[course.slug])).content.decode()
    assert "Rude words" not in body and "No reviews yet." in body
    client.force_login(learner)
    body = client.get(reverse("marketplace:course_detail", args=[course.slug])).content.decode()
    assert "Staff have hidden your review" in body


def test_the_instructor_replies_from_the_course_page_once(client, course, staff_user):
    learner = _learner_with_progress(course, staff_user)
    review, _ = reviews.submit_review(learner, course, 4, GOOD)
    client.force_login(course.instructor)
    page = client.get(reverse("marketplace:course_detail", args=[course.slug])).content.decode()
    assert f'for="reply-{review.pk}"' in page and "You teach this course: you can reply once" in page
    url = reverse("marketplace:reply_to_review", args=[course.slug, review.pk])
    response = client.post(url, {"reply": " "})
    assert "Your reply is required." in response.content.decode()
    response = client.post(url, {"reply": "Thank you for the kind words!"})
    assert response.status_code == 302
    page = client.get(reverse("marketplace:course_detail", args=[course.slug])).content.decode()
    assert "replied:</strong> Thank you for the kind words!" in page
    assert f'for="reply-{review.pk}"' not in page
    response = client.post(url, {"reply": "And another thing"})
    assert "You have already replied to this review" in response.content.decode()
    assert Review.objects.get().reply == "Thank you for the kind words!"


def test_nobody_but_the_instructor_gets_the_reply_form(client, course, staff_user):
    learner = _learner_with_progress(course, staff_user)
    review, _ = reviews.submit_review(learner, course, 4, GOOD)
    client.force_login(learner)
    url = reverse("marketplace:reply_to_review", args=[course.slug, review.pk])
    assert client.post(url, {"reply": "Replying to myself"}).status_code == 404
    assert Review.objects.get().reply == ""


@pytest.mark.parametrize("count", [2, 12])
def test_course_page_with_reviews_has_a_fixed_query_count(client, django_assert_num_queries, course, staff_user, count):
    for n in range(count):
        reviews.submit_review(_learner_with_progress(course, staff_user), course, 1 + n % 5, GOOD)
    viewer = _learner_with_progress(course, staff_user)
    client.force_login(viewer)
    # session + user, course, modules, lessons, enrollment, progress, completion (asked only once a lesson
    # is done: the page says "completed" from CourseCompletion), reviews, the viewer's own review
    with django_assert_num_queries(10):
        response = client.get(reverse("marketplace:course_detail", args=[course.slug]))
    assert response.context["completed"] is False
    assert len(response.context["reviews"]) == min(count, 10)
    assert "Review this course" in response.content.decode()


# Admin -------------------------------------------------------------------------------------


def test_admin_hides_with_a_reason_and_unhides_through_the_services(client, course, staff_user, moderator):
    learner = _learner_with_progress(course, staff_user)
    review, _ = reviews.submit_review(learner, course, 1, "Offensive words, not about the course.")
    client.force_login(moderator)
    changelist = reverse("admin:marketplace_review_changelist")
    listing = client.get(changelist)
    assert listing.status_code == 200 and course.title in listing.content.decode()

    response = client.post(changelist, {"action": "hide", "_selected_action": [review.pk]})
    assert response.status_code == 200 and "Hide with this reason" in response.content.decode()
    response = client.post(changelist, {"action": "hide", "apply": "1", "_selected_action": [review.pk], "reason": ""})
    assert "This field is required." in response.content.decode()
    assert Review.objects.get().hidden_at is None

    response = client.post(
        changelist, {"action": "hide", "apply": "1", "_selected_action": [review.pk], "reason": "Offensive"}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.hidden_at is not None and review.hidden_reason == "Offensive" and review.hidden_by == moderator
    assert _rating(course) == (Decimal("0"), 0)

    client.post(changelist, {"action": "unhide", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert review.hidden_at is None
    assert _rating(course) == (Decimal("1.00"), 1)


def test_admin_review_list_filters_by_hidden(client, course, staff_user, moderator):
    shown = _learner_with_progress(course, staff_user)
    hidden = _learner_with_progress(course, staff_user)
    reviews.submit_review(shown, course, 5, "Visible and well deserved.")
    review, _ = reviews.submit_review(hidden, course, 1, "Hidden for abuse, sadly.")
    reviews.hide_review(moderator, review, "Abuse")
    client.force_login(moderator)
    url = reverse("admin:marketplace_review_changelist")
    body = client.get(url, {"hidden_at__isempty": "0"}).content.decode()
    assert hidden.email in body and shown.email not in body
    body = client.get(url, {"q": shown.email}).content.decode()
    assert shown.email in body and hidden.email not in body


# Demo data ---------------------------------------------------------------------------------


def test_demo_catalogue_has_reviews_with_right_ratings():
    sync_staff_groups()
    call_command("seed_demo", stdout=io.StringIO())
    rated = Course.objects.filter(status="published", rating_count__gt=0)
    assert rated.count() >= 10
    for course in Course.objects.filter(status="published"):
        visible = list(Review.objects.filter(course=course, hidden_at__isnull=True).values_list("rating", flat=True))
        assert course.rating_count == len(visible)
        if visible:
            expected = (Decimal(sum(visible)) / len(visible)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            assert course.rating_average == expected
    before = Review.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Review.objects.count() == before


# API ---------------------------------------------------------------------------------------


def _reviews_url(course) -> str:
    return f"/api/v1/courses/{course.pk}/reviews/"


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.mark.parametrize("count", [2, 8])
def test_api_lists_visible_reviews_with_a_fixed_query_count(
    api, django_assert_num_queries, course, staff_user, moderator, count
):
    written = []
    for n in range(count):
        review, _ = reviews.submit_review(_learner_with_progress(course, staff_user), course, 1 + n % 5, GOOD)
        written.append(review)
    reviews.reply_to_review(course.instructor, written[0], "Thanks for the review!")
    reviews.hide_review(moderator, written[-1], "Abusive")
    with django_assert_num_queries(3):  # course, count, page (+ reviewers)
        response = api.get(_reviews_url(course), {"page_size": 5})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == count - 1
    assert len(data["results"]) == min(count - 1, 5)
    ids = [item["id"] for item in data["results"]]
    assert written[-1].pk not in ids  # hidden
    assert ids == sorted(ids, reverse=True)  # newest first
    first = next(
        item
        for item in api.get(_reviews_url(course), {"page_size": 50}).json()["results"]
        if item["id"] == written[0].pk
    )
    assert set(first) == {"id", "rating", "text", "author", "reply", "replied_at", "created_at", "updated_at"}
    assert first["reply"] == "Thanks for the review!" and first["text"] == GOOD


def test_api_reviews_of_unknown_or_draft_courses_are_404(api, instructor):
    from .factories import CourseFactory

    draft = CourseFactory(instructor=instructor)
    assert api.get(_reviews_url(draft)).status_code == 404
    response = api.get("/api/v1/courses/999999/reviews/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_api_lists_reviews_only_of_courses_whose_page_is_visible(api, client, course, staff_user, learner):
    from marketplace.models import Course as CourseModel

    reviewer = _learner_with_progress(course, staff_user)
    review, _ = reviews.submit_review(reviewer, course, 5, GOOD)
    page = reverse("marketplace:course_detail", args=[course.slug])
    for status in (CourseModel.Status.ARCHIVED, CourseModel.Status.DRAFT, CourseModel.Status.IN_REVIEW):
        CourseModel.objects.filter(pk=course.pk).update(status=status)
        # Anyone not enrolled: the course page is a 404, and so are its reviews.
        api.force_authenticate(None)
        client.logout()
        assert client.get(page).status_code == 404
        assert api.get(_reviews_url(course)).status_code == 404
        api.force_authenticate(learner)
        client.force_login(learner)
        assert client.get(page).status_code == 404
        assert api.get(_reviews_url(course)).status_code == 404
        assert api.get(f"/api/v1/courses/{course.pk}/").status_code == 404
        # Learners still enrolled, and the instructor, see both.
        for viewer in (reviewer, course.instructor):
            api.force_authenticate(viewer)
            client.force_login(viewer)
            assert client.get(page).status_code == 200
            listed = api.get(_reviews_url(course))
            assert listed.status_code == 200 and [r["id"] for r in listed.json()["results"]] == [review.pk]
            assert api.get(f"/api/v1/courses/{course.pk}/").status_code == 200


def test_api_post_requires_authentication(api, course):
    response = api.post(_reviews_url(course), {"rating": 5, "text": GOOD}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_api_post_is_refused_to_those_who_may_not_review(api, course, learner, staff_user):
    api.force_authenticate(learner)
    response = api.post(_reviews_url(course), {"rating": 5, "text": GOOD}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_enrolled"
    learning.grant_enrollment(learner, course, by=staff_user)
    response = api.post(_reviews_url(course), {"rating": 0, "text": ""}, format="json")  # permission comes first
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "no_progress",
        "message": "Complete at least one lesson before you review this course.",
        "fields": {},
    }
    api.force_authenticate(course.instructor)
    response = api.post(_reviews_url(course), {"rating": 5, "text": GOOD}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "own_course"
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"rating": 0, "text": GOOD}, "rating", "The rating is a whole number of stars from 1 to 5."),
        ({"rating": 6, "text": GOOD}, "rating", "The rating is a whole number of stars from 1 to 5."),
        ({"rating": "five", "text": GOOD}, "rating", "The rating is a whole number of stars from 1 to 5."),
        ({"text": GOOD}, "rating", "Give a rating from 1 to 5 stars."),
        ({"rating": 4, "text": "Meh"}, "text", "Your review must be at least 10 characters (it has 3)."),
        ({"rating": 4, "text": "x" * 2001}, "text", "Your review must be at most 2000 characters (it has 2001)."),
        ({"rating": 4, "text": "<b></b>"}, "text", "Your review is required."),
        ({"rating": 4}, "text", "Write a few words about the course."),
    ],
)
def test_api_post_bad_input_is_a_specific_400(api, course, staff_user, body, field, message):
    learner = _learner_with_progress(course, staff_user)
    api.force_authenticate(learner)
    response = api.post(_reviews_url(course), body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"][field] == [message]
    assert not Review.objects.exists()


def test_api_post_creates_then_edits_and_returns_the_rating(api, course, staff_user):
    other = _learner_with_progress(course, staff_user)
    reviews.submit_review(other, course, 2, GOOD)
    learner = _learner_with_progress(course, staff_user)
    api.force_authenticate(learner)
    response = api.post(_reviews_url(course), {"rating": 5, "text": "<i>Superb</i> course, thank you"}, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["created"] is True
    assert data["review"]["text"] == "Superb course, thank you"
    assert data["review"]["author"] == learner.name
    assert data["course_rating"] == {"average": "3.50", "count": 2}

    response = api.post(_reviews_url(course), {"rating": 3, "text": "Good, but uneven in places."}, format="json")
    assert response.status_code == 200
    assert response.json()["created"] is False
    assert response.json()["course_rating"] == {"average": "2.50", "count": 2}
    assert Review.objects.filter(user=learner).count() == 1


def test_api_reviews_are_in_the_schema():
    import json

    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = schema["paths"]["/api/v1/courses/{id}/reviews/"]
    assert set(operations) >= {"get", "post"}
    post = operations["post"]
    assert {"200", "201", "400", "401", "403", "404"} <= set(post["responses"])
    assert "CourseReviewWrite" in json.dumps(post["requestBody"])
    assert "Error" in json.dumps(post["responses"]["403"])
    assert "PaginatedCourseReviewList" in json.dumps(operations["get"]["responses"]["200"])
