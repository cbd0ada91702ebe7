"""Usage and limits: API calls counted per month by the organisation's keys, a hard limit answering 429 with
Retry-After at the next month, 80% and 100% notices once each (seats and API calls), the figures against a
known fixture, the usage page, its CSV and the API."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from rest_framework.test import APIClient

from accounts.tests.factories import VerifiedUserFactory
from licensing.models import ApiUsage, LimitNotice
from licensing.services import api_keys, seats, usage

from .factories import MembershipFactory

pytestmark = pytest.mark.django_db
USAGE = "/api/v1/orgs/{}/usage/"


def key_for(org, scopes=("seats:read",)):
    admin = MembershipFactory(organisation=org, role="admin").user
    return api_keys.create_key(org, name=f"HR {uuid.uuid4().hex[:6]}", scopes=list(scopes), by=admin)[1]


def calling(raw):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def take_seats(licence, count):
    for n in range(count):
        person = VerifiedUserFactory(email=f"p{n}@acme.example")
        _, raw = seats.invite(licence, person.email)
        seats.accept_invitation(raw, person)


def test_api_calls_are_counted_per_month_and_refused_past_the_limit_until_the_next(org, licence):
    licence.api_calls_per_month = 3
    licence.save()
    api = calling(key_for(org))
    with time_machine.travel(datetime(2026, 12, 31, 23, 0, tzinfo=UTC), tick=False):
        for _ in range(3):
            assert api.get(USAGE.format("acme")).status_code == 200
        refused = api.get(USAGE.format("acme"))
        assert refused.status_code == 429 and refused["Retry-After"] == "3600"
        error = refused.json()["error"]
        assert error["code"] == "api_limit_reached" and "1 January 2027" in error["message"]
        assert ApiUsage.objects.get(organisation=org).calls == 3  # refused calls are not counted
    with time_machine.travel(datetime(2027, 1, 1, 0, 1, tzinfo=UTC), tick=False):
        response = api.get(USAGE.format("acme"))
        assert response.status_code == 200 and response.json()["api_calls_this_month"] == 1
    assert sorted(ApiUsage.objects.values_list("period", "calls")) == [
        (datetime(2026, 12, 1).date(), 3),
        (datetime(2027, 1, 1).date(), 1),
    ]


def test_seat_notices_at_80_and_100_percent_once_each(org, licence, org_admin, django_capture_on_commit_callbacks):
    licence.seats = 5
    licence.save()
    take_seats(licence, 3)
    with django_capture_on_commit_callbacks(execute=True):
        assert usage.check_limits() == 0  # 60%
    licence.refresh_from_db()
    take_seats_more = [VerifiedUserFactory(email=f"q{n}@acme.example") for n in range(2)]
    for person in take_seats_more[:1]:
        _, raw = seats.invite(licence, person.email)
        seats.accept_invitation(raw, person)
    with django_capture_on_commit_callbacks(execute=True):
        assert usage.check_limits() == 1  # 80%
        assert usage.check_limits() == 0
    _, raw = seats.invite(licence, take_seats_more[1].email)
    seats.accept_invitation(raw, take_seats_more[1])
    with django_capture_on_commit_callbacks(execute=True):
        assert usage.check_limits() == 1  # 100%
        assert usage.check_limits() == 0
    subjects = [m.subject for m in mail.outbox if org_admin.email in m.to and "has used" in m.subject]
    assert subjects == ["Acme has used 80% of its seats", "Acme has used 100% of its seats"]
    assert "4 of 5" in next(m for m in mail.outbox if m.subject.endswith("80% of its seats")).body


def test_api_call_notices_at_80_and_100_percent_once_each_per_month(
    org, licence, org_admin, django_capture_on_commit_callbacks
):
    licence.api_calls_per_month = 10
    licence.save()
    with time_machine.travel(datetime(2026, 12, 10, tzinfo=UTC), tick=False):
        for _ in range(7):
            usage.record_api_call(org)
        with django_capture_on_commit_callbacks(execute=True):
            assert usage.check_limits() == 0
        usage.record_api_call(org)
        with django_capture_on_commit_callbacks(execute=True):
            assert usage.check_limits() == 1
            assert usage.check_limits() == 0
        for _ in range(2):
            usage.record_api_call(org)
        with django_capture_on_commit_callbacks(execute=True):
            assert usage.check_limits() == 1
    with time_machine.travel(datetime(2027, 1, 10, tzinfo=UTC), tick=False):
        for _ in range(8):
            usage.record_api_call(org)
        with django_capture_on_commit_callbacks(execute=True):
            assert usage.check_limits() == 1  # a new month: its own 80% notice
    assert sorted(LimitNotice.objects.filter(kind="api_calls").values_list("period", "threshold")) == [
        ("2026-12", 80), ("2026-12", 100), ("2027-01", 80),
    ]  # fmt: skip
    assert [m.subject for m in mail.outbox if "API calls" in m.subject] == [
        "Acme has used 80% of its API calls for the month",
        "Acme has used 100% of its API calls for the month",
        "Acme has used 80% of its API calls for the month",
    ]


def test_usage_figures_against_a_known_fixture(org, licence):
    now = datetime(2026, 12, 15, tzinfo=UTC)
    take_seats(licence, 3)
    seats.invite(licence, "waiting@acme.example")
    from accounts.models import User

    User.objects.filter(email="p0@acme.example").update(last_login=now - timedelta(days=2))
    User.objects.filter(email="p1@acme.example").update(last_login=now - timedelta(days=45))
    ApiUsage.objects.create(organisation=org, period=datetime(2026, 11, 1).date(), calls=40)
    ApiUsage.objects.create(organisation=org, period=datetime(2026, 12, 1).date(), calls=7)
    ApiUsage.objects.create(organisation=org, period=datetime(2025, 11, 1).date(), calls=999)  # over a year ago
    figures = usage.usage(org, now)
    assert (figures.seats_bought, figures.seats_assigned, figures.seats_active_30_days) == (10, 3, 1)
    assert figures.invitations_waiting == 1 and figures.api_calls_this_month == 7
    assert len(figures.api_calls) == 12 and figures.api_calls[0][0] == datetime(2026, 1, 1).date()
    assert figures.api_calls[-2:] == [(datetime(2026, 11, 1).date(), 40), (datetime(2026, 12, 1).date(), 7)]
    rows = list(csv.reader(io.StringIO(usage.usage_csv(org, now))))
    assert rows[0] == ["metric", "period", "value"]
    assert ["seats_active_30_days", "2026-12-15", "1"] in rows and ["api_calls", "2026-11", "40"] in rows


def test_the_usage_page_and_csv_for_admins_only(client, org, licence, org_admin, other_admin):
    ApiUsage.objects.create(organisation=org, period=usage.month_of(datetime.now(UTC)), calls=12)
    client.force_login(org_admin)
    page = client.get("/orgs/acme/usage/").content.decode()
    assert "This month: 12." in page and 'aria-label="API calls per month over the last year"' in page
    exported = client.get("/orgs/acme/usage.csv")
    assert exported["Content-Type"].startswith("text/csv") and "acme-usage.csv" in exported["Content-Disposition"]
    assert "seats_bought" in exported.content.decode()
    member = MembershipFactory(organisation=org, role="member").user
    client.force_login(member)
    assert client.get("/orgs/acme/usage/").status_code == 403
    assert client.get("/orgs/acme/usage.csv").status_code == 403
    client.force_login(other_admin)
    assert client.get("/orgs/acme/usage/").status_code == 404
    assert client.get("/orgs/acme/usage.csv").status_code == 404


def test_the_usage_api_is_scoped_to_the_organisation(org, licence, other_org):
    assert APIClient().get(USAGE.format("acme")).status_code == 401
    other_key = calling(key_for(other_org))
    assert other_key.get(USAGE.format("acme")).status_code == 404
    assert calling(key_for(org, scopes=["seats:write"])).get(USAGE.format("acme")).status_code == 403
    body = calling(key_for(org)).get(USAGE.format("acme")).json()
    # Every call of the organisation's keys counts, the one its scope refused too: that one and this one.
    assert body["seats_bought"] == 10 and body["api_calls_this_month"] == 2
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/orgs/{slug}/usage/"]["get"]
    assert {"401", "403", "404", "429"} <= set(operation["responses"]) and "example" in str(operation)


def test_the_usage_page_reads_a_fixed_number_of_queries(client, org, licence, org_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(org_admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/orgs/acme/usage/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    take_seats(licence, 4)
    for months_back in range(1, 6):
        period = usage.month_of(datetime.now(UTC) - timedelta(days=31 * months_back))
        ApiUsage.objects.create(organisation=org, period=period, calls=months_back)
    assert count() == few
