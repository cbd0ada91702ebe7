import re

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import APIKey

from .factories import APIKeyFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


@pytest.fixture
def api():
    return APIClient()


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


class TestMe:
    def test_a_valid_key_returns_the_caller(self, api, api_key):
        response = api.get(ME, **bearer(api_key.raw))
        assert response.status_code == 200
        user = api_key.user
        assert response.json() == {
            "id": user.pk,
            "email": user.email,
            "display_name": user.display_name,
            "name": user.name,
            "timezone": user.timezone,
            "roles": ["learner"],
            "date_joined": response.json()["date_joined"],
        }

    def test_roles_reflect_instructor_and_staff(self, api, api_key, superuser):
        user = api_key.user
        services.grant_instructor(user)
        services.add_to_staff_group(user, "Support", by=superuser)
        assert api.get(ME, **bearer(api_key.raw)).json()["roles"] == ["learner", "instructor", "staff"]

    def test_a_valid_key_records_last_use(self, api, api_key):
        assert api_key.last_used_at is None
        api.get(ME, **bearer(api_key.raw))
        api_key.refresh_from_db()
        assert api_key.last_used_at is not None

    def test_a_revoked_key_is_refused(self, api, api_key):
        services.revoke_api_key(api_key.user, api_key.pk)
        error = assert_error(api.get(ME, **bearer(api_key.raw)), 401, "authentication_failed")
        assert "revoked" in error["message"]

    @pytest.mark.parametrize(
        "header",
        [
            "Bearer lyc_not-a-real-key",
            "Bearer not-even-our-prefix",
            "Bearer",
            "Bearer two parts",
        ],
    )
    def test_wrong_or_malformed_keys_are_refused(self, api, api_key, header):
        response = api.get(ME, HTTP_AUTHORIZATION=header)
        assert_error(response, 401, "authentication_failed")
        assert response["WWW-Authenticate"] == "Bearer"

    def test_another_users_key_digest_is_not_a_key(self, api, api_key):
        assert_error(api.get(ME, **bearer(api_key.digest)), 401)

    def test_no_credentials(self, api):
        response = api.get(ME)
        assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == "Bearer"

    def test_the_key_of_a_deleted_account_stops_working(self, api, api_key):
        services.delete_account(api_key.user)
        assert_error(api.get(ME, **bearer(api_key.raw)), 401)

    def test_session_auth_for_the_browser(self, client, user):
        client.force_login(user)
        response = client.get(ME)
        assert response.status_code == 200
        assert response.json()["email"] == user.email

    def test_session_auth_enforces_csrf_on_unsafe_methods(self, user):
        from django.test import Client

        browser = Client(enforce_csrf_checks=True)
        browser.force_login(user)
        assert_error(browser.post(ME, {}), 403)

    def test_key_callers_need_no_csrf_token(self, api_key):
        from django.test import Client

        script = Client(enforce_csrf_checks=True)
        # Not a CSRF 403: the key authenticates, and the method is what is refused.
        assert_error(script.post(ME, {}, **bearer(api_key.raw)), 405, "method_not_allowed")

    def test_me_is_read_only(self, api, api_key):
        assert_error(api.post(ME, {}, format="json", **bearer(api_key.raw)), 405, "method_not_allowed")
        assert_error(api.delete(ME, **bearer(api_key.raw)), 405, "method_not_allowed")

    def test_a_key_created_on_the_profile_page_works_on_the_api(self, client, api, user):
        client.force_login(user)
        client.post("/accounts/profile/api-keys/", {"name": "script"})
        page = client.get("/accounts/profile/").content.decode()
        raw = re.search(r'id="new-api-key">([^<]+)<', page).group(1)
        assert api.get(ME, **bearer(raw)).json()["email"] == user.email
        key = APIKey.objects.get(user=user)
        client.post(f"/accounts/profile/api-keys/{key.pk}/revoke/")
        assert_error(api.get(ME, **bearer(raw)), 401)

    def test_keys_of_two_users_identify_each(self, api, user, other_user):
        mine, theirs = APIKeyFactory(user=user), APIKeyFactory(user=other_user)
        assert api.get(ME, **bearer(mine.raw)).json()["email"] == user.email
        assert api.get(ME, **bearer(theirs.raw)).json()["email"] == other_user.email


class TestSchemaAndDocs:
    def test_schema_documents_me_with_its_errors(self, client):
        response = client.get("/api/schema/?format=json")
        assert response.status_code == 200
        schema = response.json()
        assert schema["openapi"].startswith("3.")
        operation = schema["paths"]["/api/v1/me/"]["get"]
        responses = operation["responses"]
        assert "200" in responses
        for status in ("401", "429"):
            content = responses[status]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/Error"}
        error = schema["components"]["schemas"]["Error"]
        assert "error" in error["properties"]
        detail_ref = error["properties"]["error"]["$ref"].rsplit("/", 1)[-1]
        assert set(schema["components"]["schemas"][detail_ref]["properties"]) == {"code", "message", "fields"}
        assert "ApiKeyAuth" in schema["components"]["securitySchemes"]
        assert {"ApiKeyAuth": []} in operation["security"]

    def test_docs_render_with_local_assets_only(self, client):
        response = client.get("/api/docs/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "/static/" in html
        assert "drf_spectacular_sidecar" in html or "swagger-ui" in html
        for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "googleapis"):
            assert cdn not in html
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
        assert external == []
