"""The marketplace end to end in the browser.

An instructor creates and submits a course in the studio → a Content review staff member approves it
in admin → a learner finds it by search, buys it (declined card, then a good one), takes every lesson,
sees completion and leaves a review → the instructor sees the sale and the 70/30 split on the dashboard.
"""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from marketplace.models import Category, Course, Enrollment

from .helpers import browse_as, pay_on_hosted_page, verified_user

pytestmark = pytest.mark.django_db(transaction=True)

LESSONS = ["Variables and values", "Loops that read well", "Functions you can test"]


@pytest.fixture
def people(stripe_webhooks, emulator):
    emulator.control.clear_faults()  # webhooks reach the live server as they happen
    Category.objects.get_or_create(slug="programming", defaults={"name": "Programming"})
    reviewer = verified_user("rita@lyceum.test", "Rita Reviewer", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Content review"))
    return {
        "instructor": verified_user("ines@example.com", "Ines Instructor", is_instructor=True),
        "reviewer": reviewer,
        "learner": verified_user("leo@example.com", "Leo Learner"),
    }


def test_create_review_buy_learn_review_and_see_the_sale(page: Page, live_server, client, people, console_errors):
    base = live_server.url

    # 1. The instructor builds a course in the studio and submits it.
    browse_as(page, base, client, people["instructor"])
    page.goto(f"{base}/studio/")
    page.get_by_role("link", name="New course").click()
    page.get_by_role("textbox", name="Title:", exact=True).fill("Pragmatic Python Basics")
    page.get_by_role("textbox", name="Subtitle:").fill("Write small programs that work")
    page.get_by_label("Description").fill(
        "A short, practical course: values, loops and functions, each with exercises you can run yourself."
    )
    page.get_by_label("Category").select_option(label="Programming")
    page.get_by_label("Price").fill("19.99")
    page.get_by_role("button", name=re.compile("Create|Save")).click()
    expect(page.get_by_role("heading", name="Pragmatic Python Basics")).to_be_visible()
    expect(page.get_by_role("heading", name="Before you can submit")).to_be_visible()

    page.get_by_role("link", name="Add a module").click()
    page.get_by_role("textbox", name="Title:", exact=True).fill("The essentials")
    page.get_by_role("button", name=re.compile("Create|Save|Add")).click()
    for title in LESSONS:
        page.get_by_role("link", name="Add a lesson").click()
        page.get_by_role("textbox", name="Title:", exact=True).fill(title)
        page.get_by_label("Text (Markdown)").fill(f"## {title}\n\nRead the example, then try it yourself.")
        page.get_by_label("Duration (minutes)").fill("7")
        page.get_by_role("button", name=re.compile("Create|Save|Add")).click()
        expect(page.get_by_role("link", name=title)).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("waiting for review")).to_be_visible()
    course = Course.objects.get(title="Pragmatic Python Basics")
    assert course.status == Course.Status.IN_REVIEW

    # 2. Staff approve it from the review queue in admin.
    browse_as(page, base, client, people["reviewer"])
    page.goto(f"{base}/admin/marketplace/course/?status__exact=in_review")
    row = page.get_by_role("row", name=re.compile("Pragmatic Python Basics"))
    row.get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option("approve")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text(re.compile("approved and published"))).to_be_visible()
    course.refresh_from_db()
    assert course.status == Course.Status.PUBLISHED

    # 3. A learner finds it by search and buys it: a declined card first, then a good one.
    browse_as(page, base, client, people["learner"])
    page.goto(f"{base}/courses/")
    page.get_by_label("Search").fill("pragmatic python")
    page.get_by_role("button", name="Show courses").click()
    results = page.get_by_role("region", name="Results")
    expect(results.get_by_role("status")).to_have_text("1 course")
    results.get_by_role("link", name="Pragmatic Python Basics").first.click()
    expect(page.get_by_role("heading", name="Pragmatic Python Basics", level=1)).to_be_visible()
    page.get_by_role("button", name="Buy for $19.99").click()
    expect(page.get_by_text("$19.99").first).to_be_visible()
    pay_on_hosted_page(page, "4000 0000 0000 0002")
    expect(page.get_by_role("alert")).to_contain_text("declined")
    assert not Enrollment.objects.filter(user=people["learner"]).exists()
    pay_on_hosted_page(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="Payment successful")).to_be_visible(timeout=20_000)
    page.get_by_role("link", name="Continue").click()

    # 4. Every lesson, then completion.
    for title in LESSONS:
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
        page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_text("You have completed “Pragmatic Python Basics”. Well done!")).to_be_visible()
    expect(page.get_by_text("3 of 3 lessons done.")).to_be_visible()
    page.goto(f"{base}/learning/")
    expect(page.get_by_text("Pragmatic Python Basics").first).to_be_visible()
    expect(page.get_by_text(re.compile("Completed", re.I)).first).to_be_visible()

    # 5. A review.
    page.goto(f"{base}/courses/{course.slug}/")
    page.get_by_label("5 stars").check()
    page.get_by_label("Your review").fill("Clear, practical and short. Exactly what I needed to get going.")
    page.get_by_role("button", name="Publish my review").click()
    review = page.get_by_role("article", name="Review by Leo Learner")
    expect(review).to_contain_text("Clear, practical and short.")
    expect(review.get_by_role("img", name="5 out of 5 stars")).to_be_visible()
    course.refresh_from_db()
    assert (course.rating_count, float(course.rating_average)) == (1, 5.0)

    # 6. The instructor sees the sale and the split: $19.99 → $13.99 for them, $6.00 platform fee.
    browse_as(page, base, client, people["instructor"])
    page.goto(f"{base}/studio/")
    page.get_by_role("link", name="Earnings").click()
    expect(page.get_by_role("heading", name="Earnings")).to_be_visible()
    sales = page.get_by_role("table").filter(has_text="Platform fee").first
    expect(sales).to_contain_text("$19.99")
    expect(sales).to_contain_text("$6.00")
    expect(sales).to_contain_text("$13.99")
    balance = page.get_by_role("table").filter(has_text="Pending").first
    expect(balance).to_contain_text("$13.99")
    assert console_errors == []
