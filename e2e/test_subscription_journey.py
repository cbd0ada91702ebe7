"""A learner subscribes to Pro in the browser, switches to annual with the preview, cancels, then resumes.

The site runs on the live server against the Stripe emulator; the emulator's webhooks reach the live
server as they happen, as they would in production.
"""

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import Page, expect

from subscriptions import access
from subscriptions.models import Subscription

from .helpers import browse_as, verified_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pro_on_sale(stripe_webhooks, emulator):
    call_command("sync_stripe_catalog", stdout=io.StringIO())
    emulator.control.clear_faults()  # webhooks flow as they happen
    return stripe_webhooks


@pytest.fixture
def learner(page: Page, live_server, client):
    user = verified_user("grace@example.com", "Grace Hopper")
    browse_as(page, live_server.url, client, user)
    return user


def pay_on_hosted_page(page: Page, card: str) -> None:
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Name on card").fill("Grace Hopper")
    page.get_by_role("button", name=re.compile("Subscribe|Pay|Save card")).click()


def test_subscribe_switch_to_annual_cancel_and_resume(page: Page, live_server, pro_on_sale, learner, console_errors):
    base = live_server.url
    page.goto(f"{base}/pricing/")
    expect(page.get_by_role("heading", name="Plans and pricing")).to_be_visible()
    for tier in ("Free", "Pro", "Enterprise"):
        expect(page.get_by_role("heading", name=re.compile(f"^{tier}"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Free")).get_by_text("Your plan")).to_be_visible()
    expect(page.get_by_text("$9.99")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Annual")).click()
    expect(page.get_by_text("$99.00")).to_be_visible()
    page.get_by_role("link", name="Monthly").click()
    page.get_by_role("button", name="Subscribe to Pro").click()

    # Stripe's hosted page (the emulator's): a declined card first, then a good one.
    expect(page.get_by_role("heading", name="Subscribe")).to_be_visible()
    expect(page.get_by_text("$9.99").first).to_be_visible()
    pay_on_hosted_page(page, "4000 0000 0000 0002")
    expect(page.get_by_role("alert")).to_contain_text("declined")
    assert not Subscription.objects.filter(user=learner).exists()
    pay_on_hosted_page(page, "4242 4242 4242 4242")

    # Back on Lyceum: the payment page confirms (it refreshes itself until the payment is in).
    expect(page.get_by_role("heading", name="Payment successful")).to_be_visible(timeout=20_000)
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Your subscription")).to_be_visible()
    facts = page.locator("dl.plan-facts")
    expect(facts).to_contain_text("Pro")
    expect(facts).to_contain_text("Monthly")
    expect(facts.get_by_text("Active")).to_be_visible()
    assert access.has_feature(learner, "pro_library")
    assert any(m.subject == "Welcome to Lyceum Pro" for m in mail.outbox)

    # Switch to annual: the preview shows what is charged today, the confirmation charges exactly that.
    page.get_by_label("Billing").select_option("year")
    page.get_by_role("button", name="Preview the change").click()
    expect(page.get_by_role("heading", name="Confirm your plan change")).to_be_visible()
    charged_text = page.get_by_text("Charged today:").inner_text()
    amount = re.search(r"\$([\d,]+\.\d\d)", charged_text).group(1)
    assert 0 < float(amount.replace(",", "")) <= 99.00
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Your plan has changed.")).to_be_visible()
    expect(facts).to_contain_text("Annual")
    sub = Subscription.objects.get(user=learner)
    assert sub.interval == "year"
    # The emulator is the source of truth for what was charged.
    invoices = pro_on_sale.running.stripe_client().v1.invoices.list(params={"subscription": sub.stripe_subscription_id})
    update = [i for i in invoices.data if i.billing_reason == "subscription_update"]
    assert len(update) == 1 and f"{update[0].amount_paid / 100:,.2f}" == amount

    # Cancel at period end: the page shows the end date and access stays until then.
    page.get_by_role("button", name="Cancel at period end").click()
    sub.refresh_from_db()
    end = f"{sub.current_period_end:%-d %B %Y}"
    expect(page.get_by_text(f"Your subscription ends on {end}.").first).to_be_visible()
    expect(facts.get_by_text("Ends on")).to_be_visible()
    expect(facts).to_contain_text(end)
    expect(page.get_by_role("button", name="Resume subscription")).to_be_visible()
    assert sub.cancel_at_period_end and access.has_feature(learner, "pro_library")

    # Changed their mind: resume. The subscription renews again (the emulator agrees), nothing is charged.
    page.get_by_role("button", name="Resume subscription").click()
    expect(page.get_by_text("Your subscription continues.")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel at period end")).to_be_visible()
    expect(facts.get_by_text("Ends on")).to_have_count(0)
    sub.refresh_from_db()
    assert not sub.cancel_at_period_end and access.has_feature(learner, "pro_library")
    remote = pro_on_sale.running.stripe_client().v1.subscriptions.retrieve(sub.stripe_subscription_id)
    assert remote.cancel_at_period_end is False
    assert console_errors == []
