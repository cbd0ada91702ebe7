"""An instructor's payouts end to end in the browser.

An approved instructor without a payout account opens the studio's payouts page, which says payouts are not
set up → they connect through the emulator's hosted Express onboarding and come back to a page saying the
account can receive payouts → a sale's share matures, the beat's payout task transfers it → the payouts page
lists the payout, the earnings dashboard shows $0.00 available, and Stripe holds exactly one transfer.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import Page, expect

from billing.models import ConnectedAccount
from billing.services import apply_checkout_session
from billing.tests.support import CARD_OK, pay
from marketplace import tasks
from marketplace.models import InstructorBalance, Payout, Sale
from marketplace.services import purchases
from marketplace.tests.factories import course_with_lessons

from .helpers import browse_as, verified_user

pytestmark = pytest.mark.django_db(transaction=True)

PRICE = 2999  # the default rule's 70% share: $20.99, above the $10.00 payout minimum
SHARE = "$20.99"
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def people(stripe_webhooks, emulator):
    """The instructor and a learner, with the tiers and share rules a transactional test's flush removed."""
    return {
        "instructor": verified_user("paula@example.com", "Paula Payee", is_instructor=True),
        "learner": verified_user("leo@example.com", "Leo Learner"),
    }


def sell_course(instructor, learner) -> Sale:
    """The learner buys one of the instructor's courses on the hosted Checkout page (over HTTP)."""
    course = course_with_lessons(instructor=instructor, price_amount=PRICE, title="Paid to Teach")
    start = purchases.start_course_purchase(learner, course)
    result = pay(start.url, CARD_OK, email=learner.email)
    assert result.ok, result.page
    payment = apply_checkout_session(start.payment.stripe_checkout_session_id)
    return Sale.objects.get(payment=payment)


def assert_no_sideways_scroll(page: Page, what: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px"


def stripe_transfers(emulator, account_id: str) -> list:
    return list(emulator.stripe_client().v1.transfers.list(params={"destination": account_id}).data)


def test_connect_a_payout_account_and_get_paid(
    page: Page, live_server, client, people, stripe_webhooks, console_errors
):
    base = live_server.url
    instructor = people["instructor"]
    emulator = stripe_webhooks.running

    # 1. No payout account yet: the page says so and offers to connect one.
    browse_as(page, base, client, instructor)
    page.goto(f"{base}/studio/")
    page.get_by_role("navigation", name="Studio").get_by_role("link", name="Payouts").click()
    expect(page.get_by_role("heading", name="Payouts", level=1)).to_be_visible()
    account_card = page.get_by_role("region", name="Payout account")
    expect(account_card).to_contain_text("connect a payout account with Stripe")
    expect(account_card.get_by_text("Payouts enabled")).to_have_count(0)
    expect(page.get_by_role("region", name="Payout history")).to_contain_text("No payouts yet.")
    page.goto(f"{base}/studio/earnings/")
    expect(page.get_by_role("status").filter(has_text="Payouts are not set up yet")).to_be_visible()
    page.get_by_role("link", name="connect a payout account").click()
    expect(page.get_by_role("heading", name="Payouts", level=1)).to_be_visible()
    assert not ConnectedAccount.objects.filter(user=instructor).exists()

    # 2. Connect: Stripe's hosted Express onboarding, then back to Lyceum.
    page.get_by_role("button", name="Set up payouts").click()
    expect(page.get_by_role("heading", name="Set up payouts for your account")).to_be_visible()
    account = ConnectedAccount.objects.get(user=instructor)
    assert page.url.startswith(f"{emulator.url}/connect/onboarding/{account.stripe_account_id}/")
    assert not account.can_receive_payouts
    page.get_by_label("Business or public name").fill("Paula Payee Teaching")
    expect(page.get_by_label("Email")).to_have_value(instructor.email)
    page.get_by_role("button", name="Agree and submit").click()

    # The return page re-reads the account from Stripe: no webhook is needed for the page to be right
    # (account.updated is still held by the emulator here).
    expect(page).to_have_url(f"{base}/studio/payouts/")
    expect(page.get_by_role("status")).to_contain_text("Your payout account is ready")
    expect(account_card.get_by_text("Payouts enabled")).to_be_visible()
    expect(account_card).to_contain_text("transferred to your Stripe account automatically once they reach $10.00")
    expect(account_card.get_by_role("button", name="Update your payout details")).to_be_visible()
    account.refresh_from_db()
    assert account.can_receive_payouts
    # The held account.updated event then arrives, and is handled without undoing anything.
    deliveries = stripe_webhooks.deliver()
    assert "account.updated" in {d["type"] for d in deliveries}
    assert {d["status"] for d in deliveries} == {"succeeded"}, deliveries
    account.refresh_from_db()
    assert account.can_receive_payouts

    # 3. A sale whose refund window has passed, then the beat's release and payout tasks.
    sale = sell_course(instructor, people["learner"])
    assert sale.instructor_amount == 2099
    page.reload()
    expect(page.get_by_role("region", name="Balance")).to_contain_text("USD: $0.00 available, $20.99 pending")
    with time_machine.travel(sale.available_at + timedelta(minutes=1), tick=False):
        assert tasks.release_matured_earnings() == "1 sales released"
    assert InstructorBalance.objects.get(instructor=instructor, currency="usd").available == 2099
    page.reload()
    expect(page.get_by_role("region", name="Balance")).to_contain_text("USD: $20.99 available, $0.00 pending")

    assert tasks.pay_out_instructors() == "1 paid, 0 failed, 0 skipped"
    assert tasks.pay_out_instructors() == "0 paid, 0 failed, 0 skipped"  # the next beat pays nothing twice
    payout = Payout.objects.get(instructor=instructor)
    assert (payout.status, payout.amount, payout.currency) == ("paid", 2099, "usd")
    [transfer] = stripe_transfers(emulator, account.stripe_account_id)
    assert (transfer.id, transfer.amount, transfer.currency) == (payout.stripe_transfer_id, 2099, "usd")
    [email] = [m for m in mail.outbox if m.subject.startswith("Lyceum sent you")]  # one e-mail for one payout
    assert (email.to, email.subject) == ([instructor.email], f"Lyceum sent you {SHARE}")

    page.reload()
    history = page.get_by_role("region", name="Payout history")
    row = history.get_by_role("row").filter(has_text=SHARE)
    expect(row).to_have_count(1)
    day = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}$")  # "2 Dec 2026"
    expect(row.get_by_role("cell")).to_have_text([day, SHARE, "Paid", day])
    expect(history.get_by_text("No payouts yet.")).to_have_count(0)
    expect(page.get_by_role("region", name="Balance")).to_contain_text("USD: $0.00 available, $0.00 pending")

    page.get_by_role("navigation", name="Studio").get_by_role("link", name="Earnings").click()
    expect(page.get_by_role("heading", name="Earnings", level=1)).to_be_visible()
    expect(page.get_by_text("Payouts are not set up yet")).to_have_count(0)
    balance = page.get_by_role("table").filter(has_text="Available").first
    usd = balance.get_by_role("row", name=re.compile("USD"))
    expect(usd.get_by_role("cell")).to_have_text(["$0.00", "$0.00", "$0.00"])
    recent = page.get_by_role("region", name="Recent payouts")
    expect(recent.get_by_role("row").filter(has_text=SHARE)).to_contain_text("Paid")

    # The checkout's held webhooks arrive late and change nothing: still one payout, one transfer.
    deliveries = stripe_webhooks.deliver()
    assert {d["status"] for d in deliveries} == {"succeeded"}, deliveries
    assert Payout.objects.count() == 1
    assert len(stripe_transfers(emulator, account.stripe_account_id)) == 1

    # 4. On a phone the payouts page fits the screen.
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/studio/payouts/")
    expect(page.get_by_role("region", name="Payout history").get_by_role("row").filter(has_text=SHARE)).to_be_visible()
    assert_no_sideways_scroll(page, "/studio/payouts/ at phone width")
    page.wait_for_load_state("networkidle")
    assert console_errors == []
