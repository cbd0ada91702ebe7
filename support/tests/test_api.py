"""The tickets API: who may open and read what (isolation, internal notes never), bad input, the schema."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tests.factories import VerifiedUserFactory
from support import services
from support.models import Ticket

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/support/tickets/"


def api_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def open_as(user, subject="Sign-in fails"):
    return services.open_ticket(user, subject=subject, description="Nobody can sign in.", priority="high")


def error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()["error"]
    if code:
        assert body["code"] == code, body
    return body


def test_a_member_opens_a_ticket_and_reads_it_with_its_sla(member):
    response = api_for(member).post(TICKETS, {"subject": "Export fails", "description": "500 on export.",
                                              "priority": "urgent"}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["priority"], body["status"], body["organisation"]) == ("urgent", "new", "acme")
    assert [m["body"] for m in body["messages"]] == ["500 on export."]
    assert {s["kind"] for s in body["sla"]} == {"first_response", "resolution"}
    assert all(s["due_at"] and not s["breached"] for s in body["sla"])


def test_isolation_members_see_their_own_admins_their_organisations_outsiders_nothing(
    member, colleague, org_admin, outsider, agent
):
    mine, theirs = open_as(member, "Mine"), open_as(colleague, "Colleague's")
    services.staff_reply(mine, author=agent, body="Looking: tell me your browser.")
    services.staff_reply(mine, author=agent, body="SECRET internal: customer on legacy SSO", internal=True)

    listed = lambda user: {t["subject"] for t in api_for(user).get(TICKETS).json()["results"]}  # noqa: E731
    assert listed(member) == {"Mine"}
    assert listed(colleague) == {"Colleague's"}
    assert listed(org_admin) == {"Mine", "Colleague's"}
    assert listed(outsider) == set()
    assert listed(VerifiedUserFactory()) == set()

    detail = api_for(member).get(f"{TICKETS}{mine.pk}/")
    assert detail.status_code == 200
    assert "SECRET" not in detail.content.decode()
    assert [m["from_support"] for m in detail.json()["messages"]] == [False, True]
    for user, ticket in ((member, theirs), (outsider, mine), (colleague, mine)):
        api = api_for(user)
        error(api.get(f"{TICKETS}{ticket.pk}/"), 404)
        error(api.patch(f"{TICKETS}{ticket.pk}/", {"status": "solved"}, format="json"), 404)
        error(api.post(f"{TICKETS}{ticket.pk}/replies/", {"body": "hi"}, format="json"), 404)
    mine.refresh_from_db()
    assert mine.status == Ticket.Status.OPEN and mine.messages.count() == 3


def test_people_without_priority_support_are_refused_with_a_reason(db):
    body = error(api_for(VerifiedUserFactory()).post(TICKETS, {"subject": "x", "description": "y"}, format="json"), 403)
    assert body["code"] == "support_not_included" and "contact form" in body["message"]
    assert not Ticket.objects.exists()


def test_anonymous_callers_are_refused(db):
    api = APIClient()
    error(api.get(TICKETS), 401)
    error(api.post(TICKETS, {}, format="json"), 401)
    error(api.get(f"{TICKETS}1/"), 401)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"description": "y", "priority": "high"}, "subject"),
        ({"subject": "x", "priority": "high"}, "description"),
        ({"subject": "x", "description": "y", "priority": "critical"}, "priority"),
        ({"subject": "x" * 201, "description": "y"}, "subject"),
    ],
)
def test_opening_bad_input(member, payload, field):
    body = error(api_for(member).post(TICKETS, payload, format="json"), 400)
    assert field in body["fields"]
    assert not Ticket.objects.exists()


def test_reply_rate_and_bad_updates(member, agent):
    ticket = open_as(member)
    api = api_for(member)
    error(api.post(f"{TICKETS}{ticket.pk}/replies/", {"body": ""}, format="json"), 400)
    error(api.patch(f"{TICKETS}{ticket.pk}/", {}, format="json"), 400)
    error(api.patch(f"{TICKETS}{ticket.pk}/", {"status": "closed"}, format="json"), 400)
    error(api.patch(f"{TICKETS}{ticket.pk}/", {"rating": 5}, format="json"), 409, "not_solved")
    error(api.patch(f"{TICKETS}{ticket.pk}/", {"rating": 9}, format="json"), 400)
    error(api.get(f"{TICKETS}abc/"), 404)
    reply = api.post(f"{TICKETS}{ticket.pk}/replies/", {"body": "More detail."}, format="json")
    assert reply.status_code == 201 and reply.json()["from_support"] is False
    services.set_status(ticket, Ticket.Status.SOLVED, by=agent)
    rated = api.patch(f"{TICKETS}{ticket.pk}/", {"rating": 5, "rating_comment": "Fast."}, format="json")
    assert rated.status_code == 200 and (rated.json()["rating"], rated.json()["status"]) == (5, "solved")
    error(api.patch(f"{TICKETS}{ticket.pk}/", {"rating": 4}, format="json"), 409, "already_rated")
    services.set_status(ticket, Ticket.Status.CLOSED, by=agent)
    error(api.post(f"{TICKETS}{ticket.pk}/replies/", {"body": "again"}, format="json"), 409, "ticket_closed")


def test_the_list_reads_a_fixed_number_of_queries(member, org_admin):
    api = api_for(org_admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(TICKETS).status_code == 200
        return len(ctx.captured_queries)

    open_as(member)
    few = count()
    for n in range(5):
        open_as(member, f"Ticket {n}")
    assert count() == few


def test_the_schema_documents_the_tickets_api(db):
    paths = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path, method, errors in [
        ("/api/v1/support/tickets/", "get", {"401"}),
        ("/api/v1/support/tickets/", "post", {"400", "401", "403"}),
        ("/api/v1/support/tickets/{ticket_id}/", "get", {"401", "404"}),
        ("/api/v1/support/tickets/{ticket_id}/", "patch", {"400", "404", "409"}),
        ("/api/v1/support/tickets/{ticket_id}/replies/", "post", {"400", "404", "409"}),
    ]:
        operation = paths[path][method]
        assert errors <= set(operation["responses"]), (path, method)
        assert "example" in str(operation), (path, method)
        assert operation["tags"] == ["support"]
