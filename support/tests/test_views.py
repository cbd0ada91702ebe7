"""Support pages: the help page and contact form for everyone, tickets for people with priority support."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import VerifiedUserFactory, solved_captcha
from support import services
from support.models import Ticket

pytestmark = pytest.mark.django_db


def open_as(user, subject="Sign-in fails"):
    return services.open_ticket(user, subject=subject, description="Nobody can sign in.", priority="high")


def test_without_priority_support_the_help_page_offers_the_contact_form(client, django_capture_on_commit_callbacks):
    client.force_login(VerifiedUserFactory(email="lee@example.com"))
    page = client.get("/support/").content.decode()
    assert "Write to us" in page and "Open a ticket" not in page
    assert client.get("/support/tickets/new/")["Location"] == "/support/"
    data = {"name": "Lee", "email": "lee@example.com", "message": "Where is my certificate?"}
    assert client.post("/support/", data).status_code == 200  # no CAPTCHA: the form again
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/support/", {**data, "captcha": solved_captcha()})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["support@lyceum.test"] and message.reply_to == ["lee@example.com"]
    assert "Where is my certificate?" in message.body and message.alternatives
    assert not Ticket.objects.exists()


def test_a_member_opens_a_ticket_with_an_attachment_and_follows_it(client, member, django_capture_on_commit_callbacks):
    client.force_login(member)
    assert "Open a ticket" in client.get("/support/").content.decode()
    bad = SimpleUploadedFile("virus.exe", b"MZ\x90")
    form = {"subject": "Export fails", "description": "It says 500.", "priority": "urgent"}
    response = client.post("/support/tickets/new/", {**form, "attachment": bad})
    assert response.status_code == 400 and "Attach a PDF, PNG, JPEG or plain-text file." in response.content.decode()
    good = SimpleUploadedFile("steps.txt", b"1. Export\n2. Boom\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/support/tickets/new/", {**form, "attachment": good})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/support/tickets/{ticket.pk}/"
    assert mail.outbox[-1].subject == f"We received your support request {ticket.reference}"
    page = client.get(f"/support/tickets/{ticket.pk}/").content.decode()
    assert "It says 500." in page and "Urgent" in page


def test_the_ticket_page_never_shows_internal_notes_nor_others_tickets(client, member, colleague, outsider, agent):
    ticket = open_as(member)
    services.staff_reply(ticket, author=agent, body="Try a private window.")
    services.staff_reply(ticket, author=agent, body="SECRET: legacy SSO account", internal=True)
    client.force_login(member)
    page = client.get(f"/support/tickets/{ticket.pk}/").content.decode()
    assert "Try a private window." in page and "SECRET" not in page
    for other in (colleague, outsider):
        client.force_login(other)
        assert client.get(f"/support/tickets/{ticket.pk}/").status_code == 404
        assert client.post(f"/support/tickets/{ticket.pk}/reply/", {"body": "x"}).status_code == 404
        assert client.post(f"/support/tickets/{ticket.pk}/update/", {"status": "solved"}).status_code == 404
    assert ticket.messages.count() == 3


def test_the_member_marks_solved_and_rates(client, member):
    ticket = open_as(member)
    client.force_login(member)
    client.post(f"/support/tickets/{ticket.pk}/update/", {"status": "solved"})
    assert client.post(f"/support/tickets/{ticket.pk}/update/", {"rating": "9"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.rating is None
    client.post(f"/support/tickets/{ticket.pk}/update/", {"rating": "5", "comment": "Great."})
    ticket.refresh_from_db()
    assert (ticket.rating, ticket.rating_comment) == (5, "Great.")
    assert "You rated this answer 5 out of 5." in client.get(f"/support/tickets/{ticket.pk}/").content.decode()


def test_the_help_page_reads_a_fixed_number_of_queries(client, member):
    client.force_login(member)
    open_as(member)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/support/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(5):
        open_as(member, f"Another {n}")
    assert count() == few
