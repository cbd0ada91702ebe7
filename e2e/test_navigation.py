"""Issue 12: signing in lands on My learning (or on `next`); payments and the subscription are in the
navigation, on a phone as on a desktop."""

import pytest
from playwright.sync_api import Page, expect

from .helpers import PASSWORD, solve_altcha, verified_user

pytestmark = pytest.mark.django_db(transaction=True)
VIEWPORTS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 900}}


def sign_in_from(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    solve_altcha(page)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sign_in_lands_on_my_learning_and_the_nav_reaches_payments_and_the_subscription(
    page: Page, live_server, console_errors, viewport
):
    base = live_server.url
    verified_user("ada@example.com", "Ada Lovelace")
    page.set_viewport_size(VIEWPORTS[viewport])
    sign_in_from(page, f"{base}/accounts/login/")
    expect(page).to_have_url(f"{base}/learning/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning")

    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Payments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your payments")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Subscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your subscription")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"scrolls sideways by {overflow}px"
    assert console_errors == []


def test_sign_in_honours_next(page: Page, live_server, console_errors):
    base = live_server.url
    verified_user("ada@example.com", "Ada Lovelace")
    sign_in_from(page, f"{base}/accounts/login/?next=/pricing/")
    expect(page).to_have_url(f"{base}/pricing/")
    assert console_errors == []
