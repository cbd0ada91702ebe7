"""Public pages render cleanly (no console errors, strict CSP) on a phone and on a desktop."""

import pytest
from playwright.sync_api import Page, expect

from .helpers import browse_as, verified_user

PAGES = [
    ("/", "Learn at your pace"),
    ("/accounts/login/", "Sign in"),
    ("/accounts/signup/", "Create your account"),
    ("/accounts/password/reset/", "Password Reset"),
]
VIEWPORTS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 900}}


def assert_no_sideways_scroll(page: Page, what: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize(("path", "heading"), PAGES)
def test_public_page_renders_cleanly(page: Page, live_server, console_errors, path, heading, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading, ignore_case=True)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    expect(nav.get_by_role("link", name="Sign up")).to_be_visible()
    assert_no_sideways_scroll(page, f"{path} at {viewport} width")
    page.wait_for_load_state("networkidle")
    if page.locator("altcha-widget").count():
        # The widget found its stylesheet linked (static/vendor/altcha) and injected no <style> of its own.
        expect(page.locator("altcha-widget .altcha")).to_have_css("border-radius", "8px")
        assert page.locator("style").count() == 0
    assert console_errors == []


SIGNED_IN_PAGES = [
    ("/accounts/profile/", "Your profile"),
    ("/accounts/email/", "Email Addresses"),
    ("/accounts/password/change/", "Change Password"),
    ("/accounts/delete/", "Delete your account"),
    ("/accounts/logout/", "Sign Out"),
]


@pytest.fixture
def signed_in(page: Page, live_server, client):
    """A verified user whose session cookie the browser already carries."""
    user = verified_user("ada@example.com", "Ada Lovelace")
    browse_as(page, live_server.url, client, user)
    return user


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_nav_shows_the_signed_in_user(page: Page, live_server, signed_in, console_errors, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    page.goto(f"{live_server.url}/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Ada Lovelace")).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    expect(nav.get_by_role("link", name="Sign in")).to_have_count(0)
    expect(nav.get_by_role("link", name="Sign up")).to_have_count(0)
    assert console_errors == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_account_pages_render_cleanly(page: Page, live_server, signed_in, console_errors, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    for path, heading in SIGNED_IN_PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        assert_no_sideways_scroll(page, f"{path} at {viewport} width")
    # allauth's elements use the site's look: forms are cards, buttons the site's buttons.
    page.goto(f"{live_server.url}/accounts/email/")
    expect(page.locator("form.card").first).to_be_visible()
    expect(page.get_by_role("button", name="Remove")).to_have_class("button button-danger")
    expect(page.locator(".badge-ok")).to_have_text("Verified")
    page.wait_for_load_state("networkidle")
    assert console_errors == []
