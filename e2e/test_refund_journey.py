"""Course refunds end to end in the browser.

A learner buys a course through the emulator's hosted Checkout and asks for a refund from My learning:
inside the policy (30 days, no more than 30% of the lessons) it is refunded at once and the lessons close.
For a second course, after more than 30% of its lessons, the request goes to staff: a Finance staff member
approves it in admin with a note and the learner's payments then show it refunded.
"""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from playwright.sync_api import Page, expect

from billing.models import Payment, Refund
from marketplace.models import Course, Enrollment, Lesson, RefundRequest
from marketplace.tests.factories import LessonFactory, ModuleFactory, PublishedCourseFactory

from .helpers import browse_as, pay_on_hosted_page, verified_user

pytestmark = pytest.mark.django_db(transaction=True)

# The lesson page for a learner without access answers 403 on purpose (it explains how to get access);
# Chromium reports any 4xx document as a console error, so only that one is expected.
NO_ACCESS_STATUS = "status of 403"


NOTE = "The videos were broken that week: sorry, and thank you for telling us."


def course(title: str, price: int, lessons: int) -> Course:
    """A published course of one module; no lesson is a free preview, so access is all or nothing."""
    created = PublishedCourseFactory(title=title, slug=re.sub(r"\W+", "-", title.lower()), price_amount=price)
    module = ModuleFactory(course=created, order=0, title="The whole course")
    for n in range(lessons):
        LessonFactory(module=module, order=n, title=f"{title}: part {n + 1}", is_preview=False)
    return created


@pytest.fixture
def shop(stripe_webhooks, emulator):
    emulator.control.clear_faults()  # webhooks reach the live server as they happen
    finance = verified_user("fiona@lyceum.test", "Fiona Finance", is_staff=True)
    finance.groups.add(Group.objects.get(name="Finance"))
    return {
        "emulator": emulator,
        "finance": finance,
        "learner": verified_user("leo@example.com", "Leo Learner"),
        "quick": course("Regex Without Tears", 1999, lessons=4),
        "slow": course("Spreadsheets for Busy People", 2499, lessons=4),
    }


def buy(page: Page, base: str, bought: Course) -> None:
    """From the course page through the hosted Checkout back to the first lesson."""
    page.goto(f"{base}/courses/{bought.slug}/")
    page.get_by_role("button", name=f"Buy for {bought.price_display}").click()
    expect(page.get_by_text(bought.price_display).first).to_be_visible()
    pay_on_hosted_page(page, "4242 4242 4242 4242")
    # The payment page refreshes itself until the webhook has fulfilled the payment.
    expect(page.get_by_role("heading", name="Payment successful")).to_be_visible(timeout=20_000)
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name=f"{bought.title}: part 1", level=1)).to_be_visible()


def card_of(page: Page, title: str):
    return page.get_by_role("article").filter(has=page.get_by_role("heading", name=title))


def stripe_refunds(emulator, payment: Payment) -> list:
    params = {"payment_intent": payment.stripe_payment_intent_id}
    return list(emulator.stripe_client().v1.refunds.list(params=params).data)


def test_refund_inside_the_policy_is_immediate_and_closes_the_lessons(
    page: Page, live_server, client, shop, console_errors
):
    base, learner, bought = live_server.url, shop["learner"], shop["quick"]
    browse_as(page, base, client, learner)

    # 1. Buy, and find the course in My learning.
    buy(page, base, bought)
    page.goto(f"{base}/learning/")
    card = card_of(page, bought.title)
    expect(card).to_contain_text("0 of 4 lessons (0%)")

    # 2. The refund page explains the policy and says this purchase is inside it.
    card.get_by_role("link", name=f"Request a refund of {bought.title}").click()
    expect(page.get_by_role("heading", name=f"Ask for a refund of “{bought.title}”")).to_be_visible()
    expect(page.get_by_role("heading", name="Our refund policy")).to_be_visible()
    expect(page.get_by_text("$19.99 on")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("This purchase is inside the policy")
    page.get_by_role("button", name="Confirm the refund").click()  # no reason yet: the form says so
    expect(page.get_by_text("This field is required.")).to_be_visible()
    assert not Refund.objects.exists()
    page.get_by_label("Why do you want a refund?").fill("I picked the wrong level, sorry.")
    page.get_by_role("button", name="Confirm the refund").click()

    # 3. Back on My learning: the refund is confirmed and the course has gone.
    expect(page).to_have_url(f"{base}/learning/")
    expect(page.get_by_text(f"Your refund for “{bought.title}” has been issued.")).to_be_visible()
    expect(card_of(page, bought.title)).to_have_count(0)
    expect(page.get_by_text("You are not enrolled in any course yet.")).to_be_visible()
    refunded = page.get_by_role("region", name="Refunded")
    expect(refunded).to_contain_text(f"{bought.title}: $19.99 refunded on")

    # 4. A lesson now explains how to get access (a 403 page, not an error).
    lesson = Lesson.objects.get(course=bought, order=1)
    response = page.goto(f"{base}/courses/{bought.slug}/lessons/{lesson.pk}/")
    assert response.status == 403
    expect(page.get_by_role("heading", name=lesson.title, level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Buy this course to open its lessons.")
    expect(page.get_by_role("button", name="Buy for $19.99")).to_be_visible()

    # 5. Refunded once, in Stripe and in our books; the enrolment has ended; no request for staff.
    enrollment = Enrollment.objects.select_related("payment").get(user=learner, course=bought)
    payment = enrollment.payment
    assert enrollment.revoked_at is not None
    assert (payment.status, payment.amount_refunded) == (Payment.Status.REFUNDED, 1999)
    assert list(Refund.objects.filter(payment=payment).values_list("source", "status", "amount")) == [
        (Refund.Source.POLICY, Refund.Status.SUCCEEDED, 1999)
    ]
    assert [(r.amount, r.status) for r in stripe_refunds(shop["emulator"], payment)] == [(1999, "succeeded")]
    assert not RefundRequest.objects.exists()
    assert f"Your refund for {payment.description}" in [m.subject for m in mail.outbox]
    assert [e for e in console_errors if NO_ACCESS_STATUS not in e] == []


def test_refund_outside_the_policy_is_decided_by_finance_in_admin(
    page: Page, live_server, client, shop, console_errors
):
    base, learner, bought = live_server.url, shop["learner"], shop["slow"]
    browse_as(page, base, client, learner)

    # 1. Buy and take two of the four lessons: 50%, more than the policy's 30%.
    buy(page, base, bought)
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_role("heading", name=f"{bought.title}: part 2", level=1)).to_be_visible()
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_role("heading", name=f"{bought.title}: part 3", level=1)).to_be_visible()

    # 2. The refund page says the request goes to the team, and why.
    page.goto(f"{base}/learning/")
    card = card_of(page, bought.title)
    expect(card).to_contain_text("2 of 4 lessons (50%)")
    card.get_by_role("link", name=f"Request a refund of {bought.title}").click()
    standing = page.get_by_role("status")
    expect(standing).to_contain_text("outside the automatic policy")
    expect(standing).to_contain_text("You have completed 2 of 4 lessons")
    expect(standing).to_contain_text("You keep access to the course while they decide.")
    page.get_by_label("Why do you want a refund?").fill("The examples use a spreadsheet program I do not have.")
    page.get_by_role("button", name="Send my request").click()

    # 3. My learning: the request is pending, the course stays open, no second request can be made.
    expect(page).to_have_url(f"{base}/learning/")
    expect(page.get_by_text("We have sent your request to our team")).to_be_visible()
    card = card_of(page, bought.title)
    expect(card.get_by_role("status")).to_have_text("Refund requested: our team will e-mail you their decision.")
    expect(card.get_by_role("link", name=re.compile("Request a refund"))).to_have_count(0)
    expect(card.get_by_role("link", name="Resume")).to_be_visible()
    enrollment = Enrollment.objects.select_related("payment").get(user=learner, course=bought)
    request = RefundRequest.objects.get(enrollment=enrollment)
    assert request.status == RefundRequest.Status.PENDING and "2 of 4 lessons" in request.policy_note
    assert not Refund.objects.exists() and enrollment.revoked_at is None
    assert f"We received your refund request for “{bought.title}”" in [m.subject for m in mail.outbox]

    # 4. Finance finds the request in admin (from the console home) and approves it.
    browse_as(page, base, client, shop["finance"])
    page.goto(f"{base}/admin/")
    # The console home counts the requests waiting and links to them.
    waiting = page.get_by_role("link", name="Refund requests waiting")
    expect(waiting).to_contain_text("1")
    waiting.click()
    page.get_by_role("link", name="Pending").click()
    row = page.get_by_role("row", name=re.compile(re.escape(bought.title)))
    expect(row).to_contain_text("$24.99")
    row.get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option("approve_with_note")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Approve refund requests")).to_be_visible()
    page.get_by_label("Note to the learner").fill(NOTE)
    page.get_by_role("button", name="Approve and refund").click()
    expect(page.get_by_text("1 request(s) approved and refunded.")).to_be_visible()
    page.get_by_role("link", name="All").first.click()
    expect(page.get_by_role("row", name=re.compile(re.escape(bought.title)))).to_contain_text("Approved")

    # 5. The learner: the course has left My learning and the payment shows as refunded.
    browse_as(page, base, client, learner)
    page.goto(f"{base}/learning/")
    expect(page.get_by_role("heading", name="My learning")).to_be_visible()
    expect(card_of(page, bought.title)).to_have_count(0)
    expect(page.get_by_role("region", name="Refunded")).to_contain_text(f"{bought.title}: $24.99 refunded on")
    page.get_by_role("link", name="Your payments").click()
    expect(page).to_have_url(f"{base}/billing/payments/")
    payment_row = page.get_by_role("row", name=re.compile(re.escape(bought.title)))
    expect(payment_row).to_contain_text("Refunded")
    expect(payment_row).to_contain_text("refunded $24.99")

    request.refresh_from_db()
    enrollment.refresh_from_db()
    payment = Payment.objects.get(pk=enrollment.payment_id)
    assert (request.status, request.decided_by_id) == (RefundRequest.Status.APPROVED, shop["finance"].pk)
    assert enrollment.revoked_at is not None
    assert (payment.status, payment.amount_refunded) == (Payment.Status.REFUNDED, 2499)
    assert list(Refund.objects.filter(payment=payment).values_list("source", "status", "amount")) == [
        (Refund.Source.STAFF, Refund.Status.SUCCEEDED, 2499)
    ]
    assert [(r.amount, r.status) for r in stripe_refunds(shop["emulator"], payment)] == [(2499, "succeeded")]
    [approved] = [m for m in mail.outbox if m.subject == f"Your refund for “{bought.title}” is approved"]
    assert f"Our team wrote: {NOTE}" in approved.body
    assert console_errors == []
