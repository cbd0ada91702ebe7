"""Issue 12: the studio's "Add a lesson" button is visible (it was white text on a white page)."""

import pytest
from playwright.sync_api import Page, expect

from marketplace.tests.factories import CourseFactory, ModuleFactory

from .helpers import browse_as, verified_user

pytestmark = pytest.mark.django_db(transaction=True)

# WCAG contrast of the element's text against the first opaque background behind it.
CONTRAST = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length < 4 || c[3] > 0) { bg = c; break; }
    node = node.parentElement;
  }
  bg = bg || [255, 255, 255];
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 740}, {"width": 1280, "height": 900}])
def test_add_a_lesson_is_readable_in_the_studio(page: Page, live_server, client, console_errors, viewport):
    instructor = verified_user("ines@example.com", "Ines Instructor", is_instructor=True)
    course = CourseFactory(instructor=instructor, title="Draft course")
    ModuleFactory(course=course, title="First steps")
    browse_as(page, live_server.url, client, instructor)
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/studio/courses/{course.pk}/")
    button = page.get_by_role("link", name="Add a lesson")
    expect(button).to_be_visible()
    assert button.evaluate(CONTRAST) >= 4.5
    assert console_errors == []
