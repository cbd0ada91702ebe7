"""Tickets and their SLA clocks: due times in business hours (weekend, holiday, pause), warnings and breaches
once each, who may open tickets, replies, notes, status, rating and attachments."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import VerifiedUserFactory
from config.errors import DomainError
from support import services
from support.models import BusinessCalendar, Holiday, SLAClock, Ticket

pytestmark = pytest.mark.django_db


def dec(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def clocks(ticket) -> dict[str, SLAClock]:
    return {c.kind: c for c in SLAClock.objects.filter(ticket=ticket)}


def open_as(user, priority="high", **kw):
    return services.open_ticket(
        user, subject="Sign-in fails", description="Nobody can sign in.", priority=priority, **kw
    )


def test_due_times_count_business_hours_across_a_weekend_a_holiday_and_a_pause(member, agent):
    calendar = BusinessCalendar.objects.get(name="Office hours (UTC)")  # Monday to Friday, 09:00-17:00 UTC
    Holiday.objects.create(calendar=calendar, date=date(2026, 12, 14), name="Company day")  # Monday
    with time_machine.travel(dec(11, 15), tick=False):  # Friday 15:00; high: 4 h first response, 24 h resolution
        ticket = open_as(member, "high")
    first, resolution = clocks(ticket)["first_response"], clocks(ticket)["resolution"]
    # 2 h on Friday, the weekend and Monday's holiday off, 2 h on Tuesday.
    assert first.due_at == dec(15, 11) and first.warn_at == dec(15, 10)
    # 24 h of office time: 2 h Friday, 8 h Tuesday, 8 h Wednesday, 6 h Thursday.
    assert resolution.due_at == dec(17, 15)

    with time_machine.travel(dec(15, 10), tick=False):  # Support answers and waits on the customer
        services.staff_reply(ticket, author=agent, body="Which browser?", status=Ticket.Status.WAITING)
    first.refresh_from_db(), resolution.refresh_from_db()
    assert first.met_at == dec(15, 10) and first.breached_at is None
    assert resolution.due_at is None and resolution.due_left_minutes == 21 * 60 and resolution.paused

    with time_machine.travel(dec(16, 16), tick=False):  # the customer answers on Wednesday at 16:00
        services.customer_reply(ticket, author=member, body="Firefox.")
    resolution.refresh_from_db()
    ticket.refresh_from_db()
    # 21 h left: 1 h Wednesday, 8 h Thursday, 8 h Friday, 4 h on Monday 21st.
    assert ticket.status == Ticket.Status.OPEN and ticket.paused_at is None
    assert resolution.due_at == dec(21, 13) and resolution.due_left_minutes is None


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a call and then what it left for after commit (its e-mails), as a committed request would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = call(*args, **kwargs)
        return result

    return run


def test_warnings_at_75_percent_and_breaches_at_100_percent_once_each(member, agent, committed):
    with time_machine.travel(dec(7, 10), tick=False):  # Monday; urgent: 1 h first response, 8 h resolution
        ticket = open_as(member, "urgent")
    mail.outbox.clear()
    with time_machine.travel(dec(7, 10, 44), tick=False):
        assert committed(services.check_slas) == (0, 0)
    with time_machine.travel(dec(7, 10, 46), tick=False):
        assert committed(services.check_slas) == (1, 0)
        assert committed(services.check_slas) == (0, 0)
    [warning] = mail.outbox
    assert warning.to == [agent.email]  # unassigned: the Support group
    assert warning.subject == f"SLA warning: {ticket.reference} first response due 7 Dec 11:00 UTC"
    assert warning.alternatives and "75%" in warning.body
    services.assign(ticket, agent, by=agent)
    with time_machine.travel(dec(7, 11, 1), tick=False):
        assert committed(services.check_slas) == (0, 1)
        assert committed(services.check_slas) == (0, 0)
    assert mail.outbox[-1].subject.startswith(f"SLA breached: {ticket.reference} first response")
    with time_machine.travel(dec(7, 16, 1), tick=False):  # 75% of the 8 h resolution target
        assert committed(services.check_slas) == (1, 0)
    with time_machine.travel(dec(8, 10, 1), tick=False):  # 8 h: 7 on Monday, 1 on Tuesday: due Tuesday 10:00
        assert committed(services.check_slas) == (0, 1)
        assert committed(services.check_slas) == (0, 0)
    first = clocks(ticket)["first_response"]
    assert first.warned_at == dec(7, 10, 46) and first.breached_at == dec(7, 11, 1)
    assert len(mail.outbox) == 4


def test_a_breach_found_late_does_not_warn_afterwards(member, agent):
    with time_machine.travel(dec(7, 10), tick=False):
        ticket = open_as(member, "urgent")
    with time_machine.travel(dec(7, 12), tick=False):  # the beat was down past both marks
        assert services.check_slas() == (0, 1)
        assert services.check_slas() == (0, 0)
    assert clocks(ticket)["first_response"].warned_at is not None


def test_a_paused_clock_neither_warns_nor_breaches(member, agent):
    with time_machine.travel(dec(7, 10), tick=False):
        ticket = open_as(member, "urgent")
        services.staff_reply(ticket, author=agent, body="Which browser?", status=Ticket.Status.WAITING)
    with time_machine.travel(dec(9, 10), tick=False):
        assert services.check_slas() == (0, 0)


def test_who_may_open_tickets(member, org_admin):
    assert services.eligibility(member).tier_code == "enterprise"
    assert services.eligibility(org_admin).organisation.slug == "acme"
    learner = VerifiedUserFactory()
    assert services.eligibility(learner) is None
    with pytest.raises(DomainError) as refused:
        open_as(learner)
    assert refused.value.status_code == 403 and refused.value.code == "support_not_included"


def test_an_internal_note_is_not_a_response_and_is_not_mailed(member, agent, committed):
    ticket = open_as(member, "normal")
    mail.outbox.clear()
    committed(services.staff_reply, ticket, author=agent, body="Customer is on the old SSO.", internal=True)
    assert clocks(ticket)["first_response"].met_at is None and mail.outbox == []
    committed(services.staff_reply, ticket, author=agent, body="Fixed: please try again.")
    ticket.refresh_from_db()
    assert clocks(ticket)["first_response"].met_at is not None and ticket.status == Ticket.Status.OPEN
    assert ticket.assignee == agent
    [reply] = mail.outbox
    assert reply.to == [member.email] and "Fixed: please try again." in reply.body
    assert "old SSO" not in reply.body and "Fixed: please try again." in reply.alternatives[0][0]


def test_only_support_works_tickets(member):
    ticket = open_as(member)
    for outsider in (member, VerifiedUserFactory(is_staff=True)):
        with pytest.raises(DomainError):
            services.staff_reply(ticket, author=outsider, body="Hello")
        with pytest.raises(DomainError):
            services.set_status(ticket, Ticket.Status.SOLVED, by=outsider)


def test_solving_meets_the_resolution_target_and_the_customer_rates_once(member, agent):
    ticket = open_as(member)
    with pytest.raises(DomainError, match="once it is solved"):
        services.customer_update(ticket, by=member, rating=5)
    services.set_status(ticket, Ticket.Status.SOLVED, by=agent)
    assert clocks(ticket)["resolution"].met_at is not None
    for bad in (0, 6, "5"):
        with pytest.raises(DomainError):
            services.customer_update(ticket, by=member, rating=bad)
    services.customer_update(ticket, by=member, rating=4, comment="  Quick.  ")
    ticket.refresh_from_db()
    assert (ticket.rating, ticket.rating_comment) == (4, "Quick.")
    with pytest.raises(DomainError, match="already"):
        services.customer_update(ticket, by=member, rating=5)


def test_reopening_a_solved_ticket_restarts_the_resolution_target(member, agent):
    with time_machine.travel(dec(7, 10), tick=False):
        ticket = open_as(member, "urgent")
        services.set_status(ticket, Ticket.Status.SOLVED, by=agent)
    with time_machine.travel(dec(8, 10), tick=False):
        services.customer_reply(ticket, author=member, body="It broke again.")
    resolution = clocks(ticket)["resolution"]
    # The full 8 h again from Tuesday 10:00: 7 h on Tuesday, 1 h on Wednesday.
    assert resolution.met_at is None and resolution.due_at == dec(9, 10)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.solved_at is None


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("screen.png", PNG, True),
        ("log.txt", b"line one\n", True),
        ("report.pdf", b"%PDF-1.7\n...", True),
        ("tool.exe", b"MZ\x90\x00", False),
        ("fake.pdf", b"<html>not a pdf</html>", False),
        ("fake.png", b"GIF89a", False),
        ("bytes.txt", b"\xff\xfe\x00bad", False),
    ],
)
def test_attachments_are_checked_by_type_and_content(member, name, content, ok):
    upload = SimpleUploadedFile(name, content)
    if ok:
        ticket = open_as(member, attachment=upload)
        assert ticket.attachment.name.endswith(name.rsplit(".", 1)[1])
    else:
        with pytest.raises(DomainError):
            open_as(member, attachment=upload)
        assert not Ticket.objects.exists()


def test_an_attachment_over_5_mb_is_refused(member):
    big = SimpleUploadedFile("big.txt", b"a" * (5 * 1024 * 1024 + 1))
    with pytest.raises(DomainError, match="5 MB"):
        open_as(member, attachment=big)
