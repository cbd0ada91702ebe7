"""Five wrong passwords lock the account: the lockout page is shown and even the right password is refused."""

import pytest
from playwright.sync_api import Page, expect

from .helpers import PASSWORD, sign_in, verified_user

EMAIL = "ada@example.com"


@pytest.mark.django_db(transaction=True)
def test_five_wrong_passwords_lock_the_account(page: Page, live_server, console_errors, settings):
    verified_user(EMAIL, "Ada Lovelace")
    base = live_server.url

    for attempt in range(1, settings.AXES_FAILURE_LIMIT):
        sign_in(page, base, EMAIL, f"wrong-password-{attempt}")
        expect(page.locator(".errorlist")).to_contain_text("not correct")
    sign_in(page, base, EMAIL, "wrong-password-5")
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many failed sign-in attempts")
    expect(page.get_by_role("alert")).to_contain_text("locked")

    with page.expect_response(lambda r: r.request.method == "POST" and "/accounts/login/" in r.url) as refused:
        sign_in(page, base, EMAIL, PASSWORD)
    assert refused.value.status == 429
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many failed sign-in attempts")
    page.goto(f"{base}/accounts/profile/")
    expect(page).to_have_url(f"{base}/accounts/login/?next=/accounts/profile/")
    # Axes answers a locked-out attempt with 429, which Chromium reports as a failed load; nothing else may appear.
    assert [e for e in console_errors if "status of 429" not in e] == []
