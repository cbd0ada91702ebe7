"""Issue 12: `.sr-only` is defined: the pricing page's "(included)" / "(not included)" are for screen readers,
not printed after every feature."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 740}, {"width": 1280, "height": 900}])
def test_screen_reader_text_on_the_pricing_page_is_not_shown(page: Page, live_server, console_errors, viewport):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/pricing/")
    expect(page.get_by_role("heading", name="Plans and pricing")).to_be_visible()
    hidden = page.locator(".sr-only")
    assert hidden.count() > 0
    for index in range(hidden.count()):
        text = hidden.nth(index)
        box = text.bounding_box()
        assert box is not None and box["width"] <= 1 and box["height"] <= 1, (text.inner_text(), box)
    # Still read out: the words are in the accessibility tree of the features list.
    features = page.get_by_role("listitem").filter(has_text="(included)")
    expect(features.first).to_be_attached()
    assert console_errors == []
