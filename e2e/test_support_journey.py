"""Support with an SLA in the browser, on a desktop and on a 375 px phone: a member of an organisation with
a licence opens an urgent ticket with an attachment → Support finds it at the top of the queue in admin,
adds an internal note and answers (the member is e-mailed) → the member reads the answer, never the note,
and rates it → the organisation's admin opens the usage page and exports the CSV."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.tests.factories import staff_in
from licensing.tests.factories import LicenceFactory, MembershipFactory, OrganisationFactory
from support.models import Ticket

from .helpers import browse_as, verified_user
from .test_pages import VIEWPORTS, assert_no_sideways_scroll

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    org = OrganisationFactory(name="Initech", slug="initech")
    LicenceFactory(organisation=org)
    member = verified_user("milton@initech.example", "Milton Member")
    MembershipFactory(organisation=org, user=member, role="member")
    admin = verified_user("ada@initech.example", "Ada Admin")
    MembershipFactory(organisation=org, user=admin, role="admin")
    return {
        "member": member,
        "admin": admin,
        "agent": staff_in("Support", email="sam@lyceum.test", display_name="Sam Support"),
    }


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_urgent_ticket_answered_in_admin_and_rated(page: Page, live_server, client, people, console_errors, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    base, member, agent = live_server.url, people["member"], people["agent"]

    # 1. The member opens an urgent ticket from the help page.
    browse_as(page, base, client, member)
    page.goto(f"{base}/support/")
    expect(page.get_by_role("heading", name="Your tickets")).to_be_visible()
    page.get_by_role("link", name="Open a ticket").click()
    assert_no_sideways_scroll(page, "the new ticket form")
    page.get_by_label("Subject").fill("Nobody can sign in")
    page.get_by_label("What happened?").fill("Since 9:00 every sign-in answers 500.")
    page.get_by_label("Priority").select_option("urgent")
    page.get_by_label("Attachment").set_input_files(
        files=[{"name": "steps.txt", "mimeType": "text/plain", "buffer": b"1. Sign in\n2. Error 500\n"}]
    )
    page.get_by_role("button", name="Open the ticket").click()
    ticket = Ticket.objects.get()
    expect(page.get_by_role("heading", name=f"{ticket.reference}: Nobody can sign in")).to_be_visible()
    expect(page.locator("#ticket-status")).to_have_text("New")
    assert_no_sideways_scroll(page, "the ticket page")
    assert ticket.priority == "urgent" and ticket.attachment.name.endswith(".txt")

    # 2. Support: the ticket heads the queue; an internal note, then the answer, which solves it.
    browse_as(page, base, client, agent)
    page.goto(f"{base}/admin/support/ticket/")
    first_row = page.locator("#result_list tbody tr").first
    expect(first_row).to_contain_text("Nobody can sign in")
    expect(first_row).to_contain_text("Urgent")
    first_row.get_by_role("link", name=ticket.reference).click()
    page.get_by_role("link", name="Reply or add an internal note").click()
    page.get_by_label("Message").fill("SSO certificate expired at 09:00; renewing.")
    page.get_by_label(re.compile("Internal note")).check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Internal note added.")).to_be_visible()
    page.get_by_role("link", name="Reply or add an internal note").click()
    page.get_by_label("Message").fill("The sign-in certificate had expired; it is renewed. Please try again.")
    page.get_by_label("Then set").select_option("solved")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text(f"Reply sent to {member.email}.")).to_be_visible()
    [answer] = [m for m in mail.outbox if m.subject == f"Re: Nobody can sign in [{ticket.reference}]"]
    assert answer.to == [member.email] and "renewing" not in answer.body

    # 3. The member reads the answer (never the note) and rates it.
    browse_as(page, base, client, member)
    page.goto(f"{base}/support/tickets/{ticket.pk}/")
    expect(page.locator("#ticket-status")).to_have_text("Solved")
    conversation = page.get_by_role("list", name="Conversation")
    expect(conversation).to_contain_text("it is renewed. Please try again.")
    expect(conversation).not_to_contain_text("renewing")
    page.get_by_label("5").check()
    page.get_by_label("Comment").fill("Fixed within the hour.")
    page.get_by_role("button", name="Send the rating").click()
    expect(page.locator("#rating")).to_have_text("You rated this answer 5 out of 5. “Fixed within the hour.”")
    assert_no_sideways_scroll(page, "the rated ticket")
    ticket.refresh_from_db()
    assert (ticket.rating, ticket.status, ticket.assignee) == (5, "solved", agent)

    # 4. The organisation's admin opens the usage page and exports it.
    browse_as(page, base, client, people["admin"])
    page.goto(f"{base}/orgs/initech/")
    page.get_by_role("navigation", name="Organisation").get_by_role("link", name="Usage").click()
    expect(page.locator("#seat-usage")).to_contain_text("Bought")
    expect(page.get_by_role("img", name="API calls per month over the last year")).to_be_visible()
    assert_no_sideways_scroll(page, "the usage page")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export as CSV").click()
    assert download.value.suggested_filename == "initech-usage.csv"
    exported = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert exported[0] == "metric,period,value" and any(line.startswith("seats_bought,") for line in exported)
    assert console_errors == []
