"""The licence API (activate / validate / free: the key is the credential) and the seat provisioning API
(organisation API keys, org admins; Idempotency-Key on POST; nobody else learns anything)."""

import uuid

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import APIKeyFactory, VerifiedUserFactory
from licensing.models import Activation, Licence, OrganisationAPIKey, Seat
from licensing.services import api_keys, keys, licences, seats

from .factories import LicenceFactory, MembershipFactory

pytestmark = pytest.mark.django_db

ACTIVATE, VALIDATE = "/api/v1/licences/activate/", "/api/v1/licences/validate/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def token(licence):
    return keys.issue_licence_key(licence).token


def test_activation_is_limited_to_three_installations_and_freed_by_delete(api, token, licence):
    ids = []
    for n in range(3):
        response = api.post(ACTIVATE, {"key": token, "fingerprint": f"machine-{n}", "name": f"Sync {n}"}, format="json")
        assert response.status_code == 201, response.json()
        ids.append(response.json()["id"])
    again = api.post(ACTIVATE, {"key": token, "fingerprint": "machine-0", "name": "Sync 0"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == ids[0]
    refused = api.post(ACTIVATE, {"key": token, "fingerprint": "machine-3", "name": "Sync 3"}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "activation_limit_reached"
    assert api.delete(f"/api/v1/licences/activations/{ids[1]}/").status_code == 401
    assert api.delete(f"/api/v1/licences/activations/{ids[1]}/", HTTP_X_LICENCE_KEY="forged").status_code == 401
    assert api.delete(f"/api/v1/licences/activations/{ids[1]}/", HTTP_X_LICENCE_KEY=token).status_code == 204
    again = api.post(ACTIVATE, {"key": token, "fingerprint": "machine-3", "name": "Sync 3"}, format="json")
    assert again.status_code == 201
    assert Activation.objects.filter(licence=licence, deactivated_at__isnull=True).count() == 3


def test_another_licences_key_cannot_free_an_activation(api, token, other_org):
    activation = api.post(ACTIVATE, {"key": token, "fingerprint": "m", "name": "n"}, format="json").json()
    other = keys.issue_licence_key(LicenceFactory(organisation=other_org)).token
    response = api.delete(f"/api/v1/licences/activations/{activation['id']}/", HTTP_X_LICENCE_KEY=other)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [({}, "key"), ({"key": "x", "name": "n"}, "fingerprint"), ({"key": "x", "fingerprint": "f"}, "name")],
)
def test_activation_bad_input(api, body, field):
    response = api.post(ACTIVATE, body, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]


def test_activating_a_forged_key_is_refused(api, token):
    response = api.post(ACTIVATE, {"key": token[:-3] + "abc", "fingerprint": "f", "name": "n"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_key"


def test_validate_answers_each_state(api, token, licence):
    def status():
        return api.post(VALIDATE, {"key": token}, format="json").json()

    body = status()
    assert body["status"] == "valid" and body["valid"] and body["licence"]["seats"] == 10
    assert body["licence"]["seats_in_use"] == 0 and "pro_library" in body["features"]
    licences.suspend(licence, reason="Unpaid")
    assert status()["status"] == "suspended"
    Licence.objects.filter(pk=licence.pk).update(status="cancelled")
    assert status()["status"] == "revoked"
    Licence.objects.filter(pk=licence.pk).update(status="expired")
    assert status()["status"] == "expired"
    assert api.post(VALIDATE, {"key": "nonsense"}, format="json").json()["status"] == "unknown"
    assert api.post(VALIDATE, {}, format="json").status_code == 400


def test_a_key_of_an_unknown_licence_is_unknown(api, licence):
    token = keys.issue_licence_key(licence).token
    Licence.objects.filter(pk=licence.pk).update(public_id=uuid.uuid4())
    assert api.post(VALIDATE, {"key": token}, format="json").json()["status"] == "unknown"


# Seat provisioning ------------------------------------------------------------------------------------

SEATS = "/api/v1/orgs/{}/seats/"


def _key(org, scopes, by=None):
    by = by or MembershipFactory(organisation=org, role="admin").user
    return api_keys.create_key(org, name=f"HR {uuid.uuid4().hex[:6]}", scopes=scopes, by=by)[1]


def _as(api, raw):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def test_an_org_key_lists_invites_and_revokes_seats_with_idempotency(
    api, licence, org, django_capture_on_commit_callbacks
):
    raw = _key(org, ["seats:read", "seats:write"])
    _as(api, raw)
    key = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(SEATS.format("acme"), {"email": "ada@acme.example"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201 and first.json()["status"] == "invited" and first.json()["source"] == "api"
    replay = api.post(SEATS.format("acme"), {"email": "ada@acme.example"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert Seat.objects.filter(licence=licence).count() == 1
    other_body = api.post(SEATS.format("acme"), {"email": "bob@acme.example"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert other_body.status_code == 422
    assert api.post(SEATS.format("acme"), {"email": "bob@acme.example"}, format="json").status_code == 400
    listed = api.get(SEATS.format("acme")).json()
    assert [s["email"] for s in listed["results"]] == ["ada@acme.example"]
    assert api.get(SEATS.format("acme") + "?status=bogus").status_code == 400
    seat_id = first.json()["id"]
    assert api.delete(f"{SEATS.format('acme')}{seat_id}/").status_code == 204  # a waiting invitation: cancelled
    assert Seat.objects.get(pk=seat_id).status == "unassigned"


def test_an_org_key_is_scoped_to_its_organisation_and_scopes(api, licence, org, other_org):
    LicenceFactory(organisation=other_org)
    read_only = _key(org, ["seats:read"])
    _as(api, read_only)
    assert api.get(SEATS.format("acme")).status_code == 200
    refused = api.post(SEATS.format("acme"), {"email": "a@acme.example"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert refused.status_code == 403
    assert api.get(SEATS.format("globex")).status_code == 404
    assert api.delete(f"{SEATS.format('globex')}1/").status_code == 404
    assert api.get("/api/v1/me/").status_code == 401  # an org key is no personal key


def test_a_revoked_org_key_stops_working(api, licence, org):
    raw = _key(org, ["seats:read"])
    _as(api, raw)
    assert api.get(SEATS.format("acme")).status_code == 200
    key = OrganisationAPIKey.objects.get()
    api_keys.revoke_key(org, key.pk, by=None)
    assert api.get(SEATS.format("acme")).status_code == 401
    assert key.digest != raw and raw not in str(OrganisationAPIKey.objects.values_list())


def test_who_may_use_the_seat_api_as_a_person(api, licence, org, org_admin, other_admin):
    member = MembershipFactory(organisation=org, role="member").user
    for user, expected in [(org_admin, 200), (member, 403), (other_admin, 404), (VerifiedUserFactory(), 404)]:
        api.force_authenticate(user)
        assert api.get(SEATS.format("acme")).status_code == expected, user
    api.force_authenticate(None)
    assert api.get(SEATS.format("acme")).status_code == 401
    personal = APIKeyFactory(user=org_admin).raw
    _as(api, personal)
    assert api.get(SEATS.format("acme")).status_code == 200


def test_revoking_through_the_api_ends_access_and_respects_the_cap(api, licence, org):
    raw = _key(org, ["seats:read", "seats:write"])
    people = [VerifiedUserFactory() for _ in range(2)]
    active = []
    for person in people:
        _, link = seats.invite(licence, person.email)
        active.append(seats.accept_invitation(link, person))
    _as(api, raw)
    assert api.delete(f"{SEATS.format('acme')}{active[0].pk}/").status_code == 204
    capped = api.delete(f"{SEATS.format('acme')}{active[1].pk}/")
    assert capped.status_code == 409 and capped.json()["error"]["code"] == "revocation_cap_reached"


def test_the_schema_documents_the_licensing_api(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/licences/activate/", "post"),
        ("/api/v1/licences/validate/", "post"),
        ("/api/v1/licences/activations/{activation_id}/", "delete"),
        ("/api/v1/orgs/{slug}/seats/", "get"),
        ("/api/v1/orgs/{slug}/seats/", "post"),
        ("/api/v1/orgs/{slug}/seats/{seat_id}/", "delete"),
    ]:
        operation = paths[path][method]
        assert operation["responses"], path
        codes = set(operation["responses"])
        assert codes & {"400", "401", "404"}, (path, codes)
    post = paths["/api/v1/orgs/{slug}/seats/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    assert "examples" in str(paths["/api/v1/licences/activate/"]["post"])
