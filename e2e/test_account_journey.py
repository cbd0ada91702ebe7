"""Sign up → verify the e-mail → signed in → edit the profile → API key → /api/v1/me/ → sign out."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User

from .helpers import PASSWORD, confirmation_link, solve_altcha

EMAIL = "grace@example.com"


@pytest.mark.django_db(transaction=True)
def test_sign_up_verify_profile_api_key_sign_out(page: Page, live_server, console_errors, mailoutbox):
    base = live_server.url

    # Sign up, with the CAPTCHA solved by the browser.
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Display name").fill("Grace")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    solve_altcha(page)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify Your Email Address")
    user = User.objects.get(email=EMAIL)
    assert not user.emailaddress_set.get(email=EMAIL).verified

    # The verification e-mail's link, then confirm: that signs the user in.
    page.goto(confirmation_link(EMAIL))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirm Email Address")
    page.get_by_role("button", name="Confirm").click()
    # Signed in, on My learning (where every sign-in lands); the profile is the name in the navigation.
    expect(page).to_have_url(f"{base}/learning/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Grace")).to_be_visible()
    nav.get_by_role("link", name="Grace").click()
    expect(page).to_have_url(f"{base}/accounts/profile/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    assert user.emailaddress_set.get(email=EMAIL).verified

    # Edit the profile.
    page.get_by_label("Display name").fill("Grace Hopper")
    page.get_by_label("Timezone").select_option("Europe/Amsterdam")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_contain_text("Your profile has been saved.")
    expect(nav.get_by_role("link", name="Grace Hopper")).to_be_visible()
    expect(page.get_by_label("Timezone")).to_have_value("Europe/Amsterdam")
    user.refresh_from_db()
    assert (user.display_name, user.timezone) == ("Grace Hopper", "Europe/Amsterdam")

    # Create an API key; the secret is shown once.
    page.get_by_label("Key name").fill("CI reporting")
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("#new-api-key").inner_text().strip()
    assert len(secret) > 20
    expect(page.get_by_role("cell", name="CI reporting", exact=True)).to_be_visible()

    # The key authenticates an integrator: a fresh context, so no session cookie helps.
    request = page.context.browser.new_context().request
    response = request.get(f"{base}/api/v1/me/", headers={"Authorization": f"Bearer {secret}"})
    assert response.status == 200, response.text()
    body = response.json()
    assert body["email"] == EMAIL
    assert body["timezone"] == "Europe/Amsterdam"
    refused = request.get(f"{base}/api/v1/me/", headers={"Authorization": "Bearer not-a-key"})
    assert refused.status == 401
    assert refused.json()["error"]["code"]

    # The key is not shown again.
    page.reload()
    expect(page.locator("#new-api-key")).to_have_count(0)
    expect(page.get_by_role("cell", name="never")).to_have_count(0)

    # Sign out.
    nav.get_by_role("button", name="Sign out").click()
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto(f"{base}/accounts/profile/")
    expect(page).to_have_url(f"{base}/accounts/login/?next=/accounts/profile/")
    assert console_errors == []
