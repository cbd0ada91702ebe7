"""Anonymous catalogue pages come from the shared cache, every change shows at once, nobody signed in is served
a shared copy, and conditional requests answer 304 (config/sharedcache.py, marketplace/caching.py)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import VerifiedUserFactory
from config import api as config_api
from marketplace.models import Course, Enrollment, LessonProgress, Review
from marketplace.services import learning
from marketplace.services import reviews as review_services

from .factories import CategoryFactory, LessonFactory, ModuleFactory, PublishedCourseFactory, course_with_lessons

pytestmark = pytest.mark.django_db

LIST = "/api/v1/courses/"


def page_url(course: Course) -> str:
    return reverse("marketplace:course_detail", args=[course.slug])


def detail_url(course: Course) -> str:
    return f"/api/v1/courses/{course.pk}/"


def cached(response) -> bool:
    return getattr(response, "shared_cache", False)


def warm(client, url: str):
    """Two anonymous requests: the first builds and stores, the second is answered from the cache."""
    first = client.get(url)
    assert first.status_code == 200
    second = client.get(url)
    assert second.status_code == 200 and cached(second)
    assert second.content == first.content
    return second


def titles(response) -> list[str]:
    return [row["title"] for row in response.json()["results"]]


class TestServedFromTheCache:
    def test_a_second_anonymous_request_runs_no_query(self, client, django_assert_num_queries):
        course = course_with_lessons()
        for url in (LIST, f"{LIST}?q=course", page_url(course), detail_url(course), reverse("marketplace:catalogue")):
            client.get(url)
            with django_assert_num_queries(0):
                response = client.get(url)
            assert response.status_code == 200 and cached(response), url
            assert response["Cache-Control"] == "max-age=0, must-revalidate"
            assert "Cookie" in response["Vary"] and "Authorization" in response["Vary"]

    def test_headers_of_the_outer_middleware_are_on_a_cached_response(self, client):
        response = warm(client, page_url(course_with_lessons()))
        assert response["X-Frame-Options"] == "DENY"
        assert "Content-Security-Policy" in response
        assert "X-Request-ID" in response
        assert response["Content-Type"].startswith("text/html")

    def test_the_query_string_is_part_of_the_key(self, client):
        PublishedCourseFactory(title="Cheap course", price_amount=100)
        PublishedCourseFactory(title="Dear course", price_amount=9000)
        assert titles(warm(client, f"{LIST}?sort=price"))[0] == "Cheap course"
        assert titles(warm(client, f"{LIST}?sort=-price"))[0] == "Dear course"
        # A repeated parameter: the last one wins, so the order of the query is not normalised away.
        assert titles(warm(client, f"{LIST}?sort=price&sort=-price"))[0] == "Dear course"
        assert titles(warm(client, f"{LIST}?sort=-price&sort=price"))[0] == "Cheap course"

    def test_links_keep_the_scheme_they_were_asked_with(self, client):
        PublishedCourseFactory.create_batch(3)
        insecure = client.get(f"{LIST}?page_size=1").json()["next"]
        secure = client.get(f"{LIST}?page_size=1", secure=True).json()["next"]
        assert insecure.startswith("http://") and secure.startswith("https://")

    def test_errors_and_unknown_courses_are_not_stored(self, client):
        assert client.get(f"{LIST}?min_price=abc").status_code == 400
        assert not cached(client.get(f"{LIST}?min_price=abc"))
        assert client.get("/courses/no-such-course/").status_code == 404
        assert not cached(client.get("/courses/no-such-course/"))


class TestEveryChangeShowsAtOnce:
    def test_a_course_edited(self, client):
        course = course_with_lessons(title="Old title")
        warm(client, LIST)
        warm(client, page_url(course))
        course.title = "New title"
        course.save()
        assert titles(client.get(LIST)) == ["New title"]
        assert "New title" in client.get(page_url(course)).content.decode()

    def test_a_price_changed(self, client):
        course = course_with_lessons(price_amount=1999)
        warm(client, LIST)
        warm(client, page_url(course))
        warm(client, detail_url(course))
        course.price_amount = 2599
        course.save(update_fields=["price_amount"])
        assert client.get(LIST).json()["results"][0]["price"]["amount"] == 2599
        assert client.get(detail_url(course)).json()["price"]["amount"] == 2599
        assert "$25.99" in client.get(page_url(course)).content.decode()

    def test_a_course_unpublished_leaves_the_list_and_its_page(self, client):
        course = course_with_lessons()
        warm(client, LIST)
        warm(client, page_url(course))
        course.status = Course.Status.ARCHIVED
        course.save()
        assert client.get(LIST).json()["count"] == 0
        assert client.get(page_url(course)).status_code == 404

    def test_a_new_course_published(self, client):
        warm(client, LIST)
        PublishedCourseFactory(title="Fresh course")
        assert titles(client.get(LIST)) == ["Fresh course"]

    def test_a_new_review(self, client):
        course = course_with_lessons()
        learner = VerifiedUserFactory(display_name="Ada Reviewer")
        Enrollment.objects.create(user=learner, course=course, source=Enrollment.Source.STAFF)
        LessonProgress.objects.create(
            user=learner, course=course, lesson=course.lessons.first(), completed_at=timezone.now()
        )
        warm(client, LIST)
        warm(client, page_url(course))
        review_services.submit_review(learner, course, 4, "Clear, well paced and full of useful examples.")
        assert client.get(LIST).json()["results"][0]["rating_count"] == 1
        page = client.get(page_url(course)).content.decode()
        assert "Ada Reviewer" in page and "Clear, well paced" in page

    def test_a_reply_and_a_hidden_review(self, client):
        course = course_with_lessons()
        review = Review.objects.create(course=course, user=VerifiedUserFactory(), rating=5, text="Loved every lesson.")
        warm(client, page_url(course))
        review.reply = "Thank you for the kind words."
        review.save(update_fields=["reply"])
        assert "Thank you for the kind words." in client.get(page_url(course)).content.decode()
        warm(client, page_url(course))
        review.hidden_at = timezone.now()
        review.save(update_fields=["hidden_at"])
        assert "Loved every lesson." not in client.get(page_url(course)).content.decode()

    def test_an_enrolment_counted(self, client):
        course = course_with_lessons(price_amount=0)
        warm(client, LIST)
        learning.enroll_free(VerifiedUserFactory(), course)
        assert client.get(LIST).json()["results"][0]["enrollment_count"] == 1

    def test_the_syllabus_edited(self, client):
        course = course_with_lessons()
        warm(client, page_url(course))
        module = ModuleFactory(course=course, title="A brand new module")
        assert "A brand new module" in client.get(page_url(course)).content.decode()
        warm(client, page_url(course))
        LessonFactory(module=module, title="A brand new lesson")
        assert "A brand new lesson" in client.get(page_url(course)).content.decode()
        warm(client, page_url(course))
        module.delete()
        page = client.get(page_url(course)).content.decode()
        assert "A brand new module" not in page and "A brand new lesson" not in page

    def test_an_instructor_and_a_category_renamed(self, client):
        category = CategoryFactory(name="Old category")
        course = course_with_lessons(category=category)
        warm(client, LIST)
        course.instructor.display_name = "Renamed Teacher"
        course.instructor.save()
        assert client.get(LIST).json()["results"][0]["instructor"]["name"] == "Renamed Teacher"
        warm(client, LIST)
        category.name = "New category"
        category.save()
        assert client.get(LIST).json()["results"][0]["category"]["name"] == "New category"

    def test_a_sign_in_changes_nothing_and_rebuilds_nothing(self, client):
        warm(client, LIST)
        user = VerifiedUserFactory()
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        assert cached(client.get(LIST))


class TestNobodySignedInGetsASharedCopy:
    def test_a_signed_in_page_is_private_and_never_a_cached_copy(self, client):
        course = course_with_lessons()
        anonymous = warm(client, page_url(course)).content.decode()
        assert "Sign in" in anonymous
        ada = VerifiedUserFactory(display_name="Ada Signedin")
        client.force_login(ada)
        for _ in range(2):
            response = client.get(page_url(course))
            assert not cached(response)
            assert "private" in response["Cache-Control"]
            assert "Ada Signedin" in response.content.decode()

    def test_one_learners_page_is_not_served_to_another(self, client):
        course = course_with_lessons()
        ada, bob = VerifiedUserFactory(display_name="Ada Lovelace"), VerifiedUserFactory(display_name="Bob Builder")
        client.force_login(ada)
        client.get(page_url(course))
        client.get(LIST)
        client.logout()
        client.force_login(bob)
        page = client.get(page_url(course)).content.decode()
        assert "Bob Builder" in page and "Ada Lovelace" not in page
        client.logout()
        for url in (page_url(course), reverse("marketplace:catalogue")):
            anonymous = client.get(url).content.decode()
            assert "Bob Builder" not in anonymous and "Ada Lovelace" not in anonymous

    def test_a_signed_in_response_is_not_stored_for_visitors(self, client):
        course = course_with_lessons()
        client.force_login(VerifiedUserFactory(display_name="Ada Lovelace"))
        client.get(page_url(course))
        client.logout()
        first = client.get(page_url(course))
        assert "Ada Lovelace" not in first.content.decode()

    def test_an_api_caller_with_credentials_is_never_answered_from_the_cache(self, client):
        PublishedCourseFactory()
        warm(client, LIST)
        response = client.get(LIST, HTTP_AUTHORIZATION="Bearer not-a-real-key")
        assert response.status_code == 401 and not cached(response)

    def test_a_visitor_with_a_session_goes_the_whole_way(self, client):
        course = course_with_lessons()
        warm(client, page_url(course))
        client.cookies["sessionid"] = "whatever"
        response = client.get(page_url(course))
        assert response.status_code == 200 and not cached(response)

    def test_a_page_with_a_csrf_token_is_not_stored(self, client, instructor):
        course = course_with_lessons(instructor=instructor)
        client.force_login(instructor)  # the owner's page has reply forms with a CSRF token
        client.get(page_url(course))
        client.logout()
        assert "csrfmiddlewaretoken" not in client.get(page_url(course)).content.decode()


class TestFragmentsForSignedInVisitors:
    """The syllabus, the description and the reviews are cached fragments of a signed-in visitor's page."""

    def test_a_second_signed_in_page_skips_the_reviews_query(self, client):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        course = course_with_lessons()
        Review.objects.create(course=course, user=VerifiedUserFactory(), rating=5, text="Loved every lesson.")
        client.force_login(VerifiedUserFactory())
        with CaptureQueriesContext(connection) as cold:
            first = client.get(page_url(course))
        with CaptureQueriesContext(connection) as warm_page:
            second = client.get(page_url(course))
        assert "Loved every lesson." in first.content.decode() and "Loved every lesson." in second.content.decode()
        assert len(warm_page) == len(cold) - 1

        def review_reads(context) -> int:
            return sum('FROM "marketplace_review"' in q["sql"] for q in context.captured_queries)

        assert review_reads(warm_page) == review_reads(cold) - 1

    def test_fragments_change_at_once(self, client):
        course = course_with_lessons(description="The first description.")
        client.force_login(VerifiedUserFactory())
        client.get(page_url(course))
        LessonFactory(module=course.modules.first(), title="A lesson added later")
        Review.objects.create(course=course, user=VerifiedUserFactory(), rating=3, text="A review written later.")
        course.description = "The second description."
        course.save()
        page = client.get(page_url(course)).content.decode()
        assert "A lesson added later" in page and "A review written later." in page
        assert "The second description." in page

    def test_done_marks_stay_each_learners_own(self, client):
        course = course_with_lessons(price_amount=0)
        ada, bob = VerifiedUserFactory(), VerifiedUserFactory()
        for user in (ada, bob):
            Enrollment.objects.create(user=user, course=course, source=Enrollment.Source.STAFF)
        LessonProgress.objects.create(
            user=ada, course=course, lesson=course.lessons.first(), completed_at=timezone.now()
        )
        client.force_login(ada)
        assert "badge-ok" in client.get(page_url(course)).content.decode()
        client.force_login(bob)
        assert "badge-ok" not in client.get(page_url(course)).content.decode()
        client.force_login(ada)
        assert "badge-ok" in client.get(page_url(course)).content.decode()


class TestConditionalRequests:
    @pytest.mark.parametrize("kind", ["list", "page", "detail"])
    def test_etag_and_last_modified_then_304_until_a_change(self, client, kind):
        course = course_with_lessons()
        url = {"list": LIST, "page": page_url(course), "detail": detail_url(course)}[kind]
        first = client.get(url)
        etag, last_modified = first["ETag"], first["Last-Modified"]
        assert etag and last_modified
        not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert not_modified.status_code == 304 and not_modified.content == b""
        assert not_modified["ETag"] == etag
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
        course.title = "Changed title"
        course.save()
        changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert changed.status_code == 200 and changed["ETag"] != etag
        assert "Changed title" in changed.content.decode()

    def test_a_signed_in_answer_has_its_own_etag_and_304(self, client):
        course = course_with_lessons()
        client.force_login(VerifiedUserFactory())
        for url in (LIST, detail_url(course)):
            first = client.get(url)
            assert first["ETag"] and "private" in first["Cache-Control"] and not cached(first)
            again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
            assert again.status_code == 304 and not cached(again)


class TestThrottlesStillCount:
    def test_cached_answers_count_against_the_anonymous_throttle(self, client, monkeypatch):
        monkeypatch.setattr(config_api.AnonRateThrottle, "rate", "3/minute", raising=False)
        PublishedCourseFactory()
        statuses = [client.get(LIST).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = client.get(LIST)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "throttled"

    def test_a_cached_answer_carries_the_rate_limit_headers(self, client, monkeypatch):
        monkeypatch.setattr(config_api.AnonRateThrottle, "rate", "5/minute", raising=False)
        PublishedCourseFactory()
        client.get(LIST)
        response = client.get(LIST)
        assert cached(response)
        assert response["X-RateLimit-Limit"] == "5" and response["X-RateLimit-Remaining"] == "3"


def test_healthz_takes_the_lean_path(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert not response.cookies
    assert not hasattr(response.wsgi_request, "session")  # SessionMiddleware never ran


class TestCheapCounts:
    def test_the_count_is_kept_per_filter_set_until_the_catalogue_changes(self, client):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        PublishedCourseFactory.create_batch(3, price_amount=0)
        client.force_login(VerifiedUserFactory())  # signed in: no shared copy, the view runs every time
        with CaptureQueriesContext(connection) as first:
            assert client.get(f"{LIST}?free=true").json()["count"] == 3
        with CaptureQueriesContext(connection) as second:
            assert client.get(f"{LIST}?free=true&sort=newest").json()["count"] == 3  # the order changes no count
        assert len(second) == len(first) - 1
        assert not any("COUNT(" in q["sql"].upper() for q in second.captured_queries)
        PublishedCourseFactory(price_amount=0)
        assert client.get(f"{LIST}?free=true").json()["count"] == 4
        assert client.get(f"{LIST}?free=false").json()["count"] == 0


def test_answers_from_the_cache_and_the_lean_path_are_counted_per_view(client):
    from prometheus_client import REGISTRY

    def counted(view: str) -> float:
        labels = {"view": view, "transport": "http", "method": "GET"}
        return REGISTRY.get_sample_value("django_http_requests_total_by_view_transport_method_total", labels) or 0

    def answered(view: str) -> float:
        labels = {"view": view, "method": "GET", "status": "200"}
        return REGISTRY.get_sample_value("django_http_responses_total_by_status_view_method_total", labels) or 0

    PublishedCourseFactory()
    before = {view: (counted(view), answered(view)) for view in ("healthz", "api:course-list")}
    for _ in range(3):
        client.get("/healthz")
        client.get(LIST)
    for view, (requests_before, answers_before) in before.items():
        assert counted(view) == requests_before + 3, view
        assert answered(view) == answers_before + 3, view
