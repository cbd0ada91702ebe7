"""The Support console: the queue by time to breach, replies and notes, status and assignment, attainment."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import staff_in
from support import services
from support.models import SLAClock, Ticket

pytestmark = pytest.mark.django_db


def dec(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def open_as(user, subject, priority):
    return services.open_ticket(user, subject=subject, description="Details.", priority=priority)


def test_the_queue_is_sorted_by_time_to_breach(client, member, agent):
    with time_machine.travel(dec(7, 9), tick=False):
        low = open_as(member, "Low one", "low")
        urgent = open_as(member, "Urgent one", "urgent")
        normal = open_as(member, "Normal one", "normal")
        waiting = open_as(member, "Waiting one", "urgent")
        services.staff_reply(waiting, author=agent, body="Which browser?", status=Ticket.Status.WAITING)
        done = open_as(member, "Solved one", "urgent")
        services.set_status(done, Ticket.Status.SOLVED, by=agent)
        client.force_login(agent)
        page = client.get(reverse("admin:support_ticket_changelist")).content.decode()
    order = [page.index(s) for s in ("Urgent one", "Normal one", "Low one")]
    assert order == sorted(order) and "Solved one" not in page
    assert page.index("Low one") < page.index("Waiting one")  # paused: last
    assert urgent.pk and low.pk and normal.pk


def test_support_replies_from_the_console_and_notes_stay_internal(
    client, member, agent, django_capture_on_commit_callbacks
):
    ticket = open_as(member, "Export fails", "high")
    mail.outbox.clear()
    client.force_login(agent)
    url = reverse("admin:support_ticket_reply", args=[ticket.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"body": ""}).status_code == 200  # the form again, nothing sent
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"body": "Checking the logs.", "internal": "on"})
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"body": "Fixed, please retry.", "status": "solved"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.assignee == agent
    [reply] = mail.outbox
    assert reply.to == [member.email] and "Fixed, please retry." in reply.body and "logs" not in reply.body
    change = client.get(reverse("admin:support_ticket_change", args=[ticket.pk])).content.decode()
    assert "Checking the logs." in change and "Internal note" in change


def test_other_staff_cannot_reply(client, member):
    ticket = open_as(member, "Export fails", "high")
    client.force_login(staff_in("Finance"))
    response = client.post(reverse("admin:support_ticket_reply", args=[ticket.pk]), {"body": "Hi"})
    assert response.status_code == 403 and ticket.messages.count() == 1


def test_reassign_and_set_status_actions(client, member, agent):
    ticket = open_as(member, "Export fails", "high")
    other = staff_in("Support", email="pat@lyceum.test")
    client.force_login(agent)
    changelist = reverse("admin:support_ticket_changelist")
    client.post(changelist, {"action": "reassign", "_selected_action": [ticket.pk], "apply": "1",
                             "assignee": other.pk})  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.assignee == other
    client.post(changelist, {"action": "set_status", "_selected_action": [ticket.pk], "apply": "1",
                             "status": "waiting"})  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING and ticket.paused_at is not None
    finance = staff_in("Finance")
    client.post(changelist, {"action": "assign_to_me", "_selected_action": [ticket.pk]})
    client.force_login(finance)
    client.post(changelist, {"action": "assign_to_me", "_selected_action": [ticket.pk]})
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_attainment_per_week_and_priority(client, member, agent):
    with time_machine.travel(dec(7, 10), tick=False):
        met = open_as(member, "Met", "urgent")
        services.staff_reply(met, author=agent, body="Here.", status=Ticket.Status.SOLVED)
        late = open_as(member, "Late", "urgent")
    with time_machine.travel(dec(8, 12), tick=False):
        services.check_slas()  # both of the late ticket's targets breached
        client.force_login(agent)
        page = client.get(reverse("admin:support_ticket_attainment"))
    assert page.status_code == 200
    report = page.context["report"]
    urgent = next(r for r in report["priorities"] if r["priority"] == "Urgent")
    assert (urgent["met"], urgent["total"], urgent["percent"]) == (2, 4, 50)
    week = next(r for r in report["weeks"] if r["week"] == "2026-12-07")
    assert (week["met"], week["total"]) == (2, 4)
    assert SLAClock.objects.filter(ticket=late, breached_at__isnull=False).count() == 2
    assert 'aria-label="SLA attainment per week"' in page.content.decode()


def test_the_queue_reads_a_fixed_number_of_queries(client, member, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(agent)
    open_as(member, "First", "urgent")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("admin:support_ticket_changelist")).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(5):
        open_as(member, f"More {n}", "normal")
    assert count() == few
