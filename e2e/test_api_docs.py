"""The interactive API documentation works in Chromium under the strict CSP."""

import pytest
from playwright.sync_api import Page, expect


@pytest.mark.django_db(transaction=True)
def test_api_docs_load_and_show_the_me_operation(page: Page, live_server, console_errors):
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".info .title")).to_contain_text("Lyceum API", timeout=15_000)
    # Exactly the /api/v1/me/ operation (not /api/v1/me/features/, which also contains the text).
    operation = page.locator(".opblock-summary").filter(has=page.locator('[data-path="/api/v1/me/"]'))
    expect(operation).to_be_visible()
    operation.click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    expect(page.locator(".opblock-body")).to_contain_text("401")
    page.wait_for_load_state("networkidle")
    assert console_errors == []
