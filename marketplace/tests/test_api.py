import pytest
from rest_framework.test import APIClient

from marketplace.models import Lesson
from marketplace.services import learning

from .factories import CategoryFactory, CourseFactory, PublishedCourseFactory, course_with_lessons

pytestmark = pytest.mark.django_db
LIST = "/api/v1/courses/"


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.parametrize("count", [2, 12])
def test_list_queries_are_fixed(api, django_assert_num_queries, count):
    for _ in range(count):
        PublishedCourseFactory()
    with django_assert_num_queries(2):  # count + page
        response = api.get(LIST)
    assert response.status_code == 200
    assert response.json()["count"] == count


def test_list_filters_and_shape(api):
    data = CategoryFactory(slug="data")
    PublishedCourseFactory(title="Pandas basics", category=data, price_amount=0, rating_average=4.6, rating_count=3)
    PublishedCourseFactory(title="Deep learning", category=data, price_amount=9900, in_pro_library=True)
    PublishedCourseFactory(title="Watercolour", price_amount=2500, enrollment_count=50)
    CourseFactory(title="Pandas draft")

    def titles(**params):
        response = api.get(LIST, params)
        assert response.status_code == 200, response.json()
        return [c["title"] for c in response.json()["results"]]

    assert titles(q="pandas") == ["Pandas basics"]
    assert titles(category="data", sort="price") == ["Pandas basics", "Deep learning"]
    assert titles(free="true") == ["Pandas basics"]
    assert titles(pro_library="true") == ["Deep learning"]
    assert titles(min_rating="4.5") == ["Pandas basics"]
    assert titles(min_price=1000, max_price=5000) == ["Watercolour"]
    assert titles()[0] == "Watercolour"  # most popular first
    item = api.get(LIST, {"q": "pandas"}).json()["results"][0]
    assert item["price"] == {"amount": 0, "currency": "usd", "display": "Free"}
    assert item["is_free"] is True
    assert item["category"]["slug"] == "data"


def test_list_bad_input_is_a_clear_400(api):
    response = api.get(LIST, {"level": "guru", "min_price": "-5", "sort": "random"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"level", "min_price", "sort"}
    response = api.get(LIST, {"min_price": 5000, "max_price": 100})
    assert response.json()["error"]["fields"]["max_price"] == ["max_price must not be below min_price."]


def test_detail_has_syllabus_and_hides_drafts(api, instructor):
    course = course_with_lessons(modules=2, lessons=2)
    response = api.get(f"/api/v1/courses/{course.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert [len(m["lessons"]) for m in body["modules"]] == [2, 2]
    assert "body" not in body["modules"][0]["lessons"][0]  # lesson text is not public
    draft = course_with_lessons(factory_class=CourseFactory, instructor=instructor)
    assert api.get(f"/api/v1/courses/{draft.pk}/").json()["error"]["code"] == "not_found"
    api.force_authenticate(instructor)
    assert api.get(f"/api/v1/courses/{draft.pk}/").status_code == 200
    assert api.get("/api/v1/courses/999999/").status_code == 404


def test_detail_queries_are_fixed(api, django_assert_num_queries):
    course = course_with_lessons(modules=3, lessons=3)
    with django_assert_num_queries(3):
        assert api.get(f"/api/v1/courses/{course.pk}/").status_code == 200


def test_purchase_requires_auth_and_key(api, course, learner):
    assert api.post(f"/api/v1/courses/{course.pk}/purchase/").status_code in (401, 403)
    api.force_authenticate(learner)
    response = api.post(f"/api/v1/courses/{course.pk}/purchase/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_required"


def test_purchase_refusals(api, learner, staff_user):
    free = course_with_lessons(price_amount=0)
    api.force_authenticate(learner)
    response = api.post(f"/api/v1/courses/{free.pk}/purchase/", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "free_course"
    owned = course_with_lessons()
    learning.grant_enrollment(learner, owned, by=staff_user)
    response = api.post(f"/api/v1/courses/{owned.pk}/purchase/", HTTP_IDEMPOTENCY_KEY="k2")
    assert response.json()["error"]["code"] == "already_enrolled"
    draft = course_with_lessons(factory_class=CourseFactory)
    assert api.post(f"/api/v1/courses/{draft.pk}/purchase/", HTTP_IDEMPOTENCY_KEY="k3").status_code == 404


def test_complete_lesson_api(api, learner, staff_user, course):
    lesson = Lesson.objects.filter(course=course).first()
    url = f"/api/v1/lessons/{lesson.pk}/complete/"
    assert api.post(url).status_code in (401, 403)
    api.force_authenticate(learner)
    response = api.post(url)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "no_access"
    learning.grant_enrollment(learner, course, by=staff_user)
    response = api.post(url)
    assert response.status_code == 200
    assert response.json()["progress"] == {"done": 1, "total": 4, "completed": False}
    assert api.post("/api/v1/lessons/999999/complete/").status_code == 404


def test_enrollments_api(api, learner, staff_user, django_assert_num_queries):
    assert api.get("/api/v1/enrollments/").status_code in (401, 403)
    courses = [course_with_lessons(modules=1, lessons=2) for _ in range(3)]
    for course in courses:
        learning.grant_enrollment(learner, course, by=staff_user)
    learning.complete_lesson(learner, Lesson.objects.filter(course=courses[0]).first())
    api.force_authenticate(learner)
    with django_assert_num_queries(4):  # count, page, progress counts, completions
        response = api.get("/api/v1/enrollments/")
    results = response.json()["results"]
    assert len(results) == 3
    first = next(r for r in results if r["course"]["id"] == courses[0].pk)
    assert first["progress"] == {"done": 1, "total": 2, "completed": False}
    assert first["source"] == "staff"


def test_schema_lists_the_endpoints(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    text = response.content.decode()
    for path in ("/api/v1/courses/", "/api/v1/courses/{id}/purchase/", "/api/v1/enrollments/"):
        assert path in text


def test_search_is_also_answered_under_drfs_name(api):
    """Issue 12: `?search=` (DRF's usual name) searches like `?q=`; two different searches are refused."""
    PublishedCourseFactory(title="Pandas basics")
    PublishedCourseFactory(title="Watercolour")
    by_search = api.get(LIST, {"search": "pandas"})
    assert by_search.status_code == 200
    assert [c["title"] for c in by_search.json()["results"]] == ["Pandas basics"]
    assert by_search.json() == api.get(LIST, {"q": "pandas"}).json()
    assert api.get(LIST, {"q": "pandas", "search": "pandas"}).status_code == 200
    refused = api.get(LIST, {"q": "pandas", "search": "watercolour"})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["search"] == [
        "Give q or search (the same search), not two different ones."
    ]
