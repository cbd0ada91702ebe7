"""Issue 11, defect 10: one paging rule for every API list, documented in the schema.

A page past the end is an empty page (200); a page that is not a whole number from 1 is a 400."""

import pytest
from rest_framework.test import APIClient

from marketplace.tests.factories import PublishedCourseFactory

pytestmark = pytest.mark.django_db
COURSES = "/api/v1/courses/"


@pytest.fixture
def three_courses():
    return [PublishedCourseFactory() for _ in range(3)]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", " 2"])
def test_a_page_that_is_not_a_whole_number_from_1_is_a_400_naming_page(three_courses, page):
    response = APIClient().get(COURSES, {"page": page, "page_size": 2})
    if page == "":
        assert response.status_code == 200  # an empty parameter is the first page
        return
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["page"]
    assert "whole number from 1" in error["fields"]["page"][0]


@pytest.mark.parametrize("page", ["3", "99", str(10**30)])
def test_a_page_past_the_end_is_an_empty_page_pointing_back_to_the_last(three_courses, page):
    response = APIClient().get(COURSES, {"page": page, "page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["results"] == [] and body["count"] == 3 and body["next"] is None
    assert body["previous"].endswith("page=2&page_size=2") or body["previous"].endswith("page_size=2&page=2")


def test_the_last_page_and_last_still_work(three_courses):
    api = APIClient()
    last = api.get(COURSES, {"page": "last", "page_size": 2}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert api.get(COURSES, {"page": "2", "page_size": 2}).json() == last


def test_an_empty_list_has_one_empty_first_page_and_an_empty_page_2():
    api = APIClient()
    assert api.get(COURSES).json() == {"count": 0, "next": None, "previous": None, "results": []}
    second = api.get(COURSES, {"page": 2}).json()
    assert second["results"] == [] and second["previous"].endswith(COURSES)


def test_the_schema_documents_the_rule_on_every_paginated_list():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paginated = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            params = {p["name"]: p for p in operation.get("parameters", [])}
            if "page" not in params:
                continue
            paginated += 1
            assert "empty `results`" in params["page"]["description"], (method, path)
            assert "400" in operation["responses"], (method, path)
    assert paginated >= 4  # payments, courses, enrollments, instructor sales at least
