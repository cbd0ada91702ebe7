"""One error shape for every API failure: {"error": {"code", "message", "fields"}}, never HTML."""

import logging

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import APIKeyFactory, VerifiedUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(test_urls):
    return APIClient()


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    assert b"<html" not in response.content.lower()
    body = response.json()
    assert list(body) == ["error"]
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


def test_400_names_each_invalid_field(api):
    response = api.post("/api/v1/test/validate/", {"name": "too long", "count": 0, "tags": ["ok", "long"]})
    error = assert_error(response, 400, "validation_error")
    assert error["message"] == "Some fields are not valid; see fields."
    assert set(error["fields"]) == {"name", "count", "tags"}
    assert error["fields"]["name"] == ["Ensure this field has no more than 5 characters."]
    assert error["fields"]["count"] == ["Ensure this value is greater than or equal to 1."]


def test_400_for_missing_fields(api):
    error = assert_error(api.post("/api/v1/test/validate/", {}), 400, "validation_error")
    assert error["fields"] == {"name": ["This field is required."], "count": ["This field is required."]}


def test_400_non_field_error_becomes_the_message(api):
    error = assert_error(api.post("/api/v1/test/validate/", {"name": "both", "count": 2}), 400, "validation_error")
    assert error["message"] == "Name and count disagree."
    assert error["fields"] == {"non_field_errors": ["Name and count disagree."]}


def test_400_for_malformed_json(api):
    response = api.post("/api/v1/test/validate/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_415_for_an_unsupported_body(api):
    response = api.post("/api/v1/test/validate/", b"<xml/>", content_type="application/xml")
    assert_error(response, 415, "unsupported_media_type")


def test_domain_error_keeps_its_code_status_and_fields(api):
    error = assert_error(api.post("/api/v1/test/conflict/"), 409, "conflict")
    assert error == {"code": "conflict", "message": "Already done.", "fields": {"thing": ["Taken."]}}


def test_401_without_credentials(api):
    assert_error(api.get("/api/v1/me/"), 401, "not_authenticated")


def test_403_for_a_signed_in_caller_without_permission(api):
    key = APIKeyFactory(user=VerifiedUserFactory())
    assert_error(api.get("/api/v1/test/staff/", HTTP_AUTHORIZATION=f"Bearer {key.raw}"), 403, "permission_denied")


def test_403_from_a_plain_django_view(api):
    assert_error(api.get("/api/v1/test/plain-forbidden/"), 403, "forbidden")


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/nope", "/api/v2/me/", "/api/v1/me/extra/"])
def test_404_for_unknown_api_paths(api, path):
    error = assert_error(api.get(path), 404, "not_found")
    assert error["message"] == "No API endpoint at this address."


def test_404_for_unknown_paths_also_with_the_real_urls(client, db):
    response = client.get("/api/v1/nothing-here/")
    assert_error(response, 404, "not_found")


def test_404_raised_by_a_plain_django_view(api):
    assert_error(api.get("/api/v1/test/plain-not-found/"), 404, "not_found")


def test_405_from_a_plain_django_view_keeps_allow(api):
    response = api.get("/api/v1/test/plain-post-only/")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


def test_405(api):
    key = APIKeyFactory(user=VerifiedUserFactory())
    assert_error(api.put("/api/v1/me/", {}, HTTP_AUTHORIZATION=f"Bearer {key.raw}"), 405, "method_not_allowed")


def test_429(api, monkeypatch):
    from config.api import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1/minute", "user": "1000/minute"})
    assert api.get("/api/v1/test/ping/").status_code == 200
    error = assert_error(api.get("/api/v1/test/ping/"), 429, "throttled")
    assert "try again" in error["message"].lower() or "available" in error["message"].lower()


def test_500_from_an_api_view_is_json_and_logged(api, caplog):
    with caplog.at_level(logging.ERROR, logger="lyceum.api"):
        response = api.get("/api/v1/test/crash/")
    error = assert_error(response, 500, "server_error")
    assert "boom" not in error["message"]  # no internals leak to the caller
    assert any(record.exc_info and "boom" in str(record.exc_info[1]) for record in caplog.records)


def test_500_from_a_plain_django_view_under_api_is_json(api):
    assert_error(api.get("/api/v1/test/plain-crash/"), 500, "server_error")


def test_a_200_html_page_under_api_is_left_alone(api):
    response = api.get("/api/v1/test/plain-html/")
    assert response.status_code == 200
    assert response.content == b"<h1>hello</h1>"


def test_pages_outside_the_api_keep_html_errors(client, test_urls, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
    crashing = client.__class__(raise_request_exception=False)
    assert crashing.get("/test/crash/").status_code == 500


class TestPagination:
    def test_default_page_size_and_envelope(self, api):
        VerifiedUserFactory.create_batch(25)
        body = api.get("/api/v1/test/users/").json()
        assert body["count"] == 25
        assert len(body["results"]) == 20
        assert body["next"].endswith("page=2")
        assert body["previous"] is None

    def test_page_size_is_capped(self, api):
        VerifiedUserFactory.create_batch(105)
        body = api.get("/api/v1/test/users/", {"page_size": 1000}).json()
        assert body["count"] == 105
        assert len(body["results"]) == 100

    def test_a_smaller_page_size_is_honoured(self, api):
        VerifiedUserFactory.create_batch(5)
        assert len(api.get("/api/v1/test/users/", {"page_size": 2}).json()["results"]) == 2

    def test_a_page_past_the_end_is_empty_and_page_0_a_400_in_the_error_shape(self, api):
        """The paging rule is issue 11's decision (defect 10); config/tests/test_pagination.py has the rest."""
        VerifiedUserFactory.create_batch(3)
        past = api.get("/api/v1/test/users/", {"page": 9})
        assert past.status_code == 200 and past.json()["results"] == [] and past.json()["count"] == 3
        assert_error(api.get("/api/v1/test/users/", {"page": 0}), 400, "validation_error")
