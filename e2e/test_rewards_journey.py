"""Rewards in the browser: a learner with two days of learning behind them completes a lesson → the streak
goes to 3 and the tokens arrive → they see their league → buy a streak freeze → redeem 7 days of Pro → open
a Pro-library course → the wallet history lists all of it. No console errors, also at 375 px."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.tests.factories import SuperUserFactory
from marketplace.models import Enrollment, LessonProgress
from marketplace.tests.factories import EnrollmentFactory, course_with_lessons
from rewards.models import TokenBalance
from rewards.services import earning, ledger, workflows

from .helpers import browse_as, verified_user
from .test_pages import assert_no_sideways_scroll

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 740}


@pytest.fixture
def learner():
    learner = verified_user("leo@example.com", "Leo Learner", timezone="UTC")
    course = course_with_lessons(modules=1, lessons=3, title="Everyday Statistics", price_amount=0)
    EnrollmentFactory(user=learner, course=course, source=Enrollment.Source.FREE)
    now = timezone.now()
    lessons = list(course.lessons.order_by("order"))
    for days_ago, lesson in ((2, lessons[0]), (1, lessons[1])):  # two days of learning behind them
        when = now - timedelta(days=days_ago)
        LessonProgress.objects.create(user=learner, lesson=lesson, course=course, completed_at=when)
        workflows.on_lesson_completed(learner.pk, course.pk, lesson.pk, at=when)
    earning.correct(learner, amount=300, reason="Journey: tokens to spend", by=SuperUserFactory(), key="journey")
    learner.journey_course = course
    learner.last_lesson = lessons[2]
    return learner


def test_learn_earn_see_the_league_shop_and_use_pro(page: Page, live_server, client, learner, console_errors):
    base = live_server.url
    course = learner.journey_course
    pro_course = course_with_lessons(modules=1, lessons=2, title="Pro Patterns in Practice", in_pro_library=True)
    browse_as(page, base, client, learner)

    # 1. Complete today's lesson (the course's last): the streak goes to 3 and the tokens arrive.
    page.goto(f"{base}/courses/{course.slug}/lessons/{learner.last_lesson.pk}/")
    chip = page.get_by_role("link", name=re.compile(r"Rewards: 2-day streak"))
    expect(chip).to_be_visible()
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_role("link", name=re.compile(r"Rewards: 3-day streak, 354 tokens"))).to_be_visible()
    page.get_by_role("link", name=re.compile("Rewards:")).click()
    expect(page.get_by_role("heading", name="Your wallet", level=1)).to_be_visible()
    expect(page.get_by_test_id("streak")).to_have_text("3 days")
    expect(page.get_by_test_id("balance")).to_have_text("354 tokens")  # 300 + 3 lessons × 2 + 23 + 25
    history = page.get_by_role("table")
    expect(history.get_by_role("row", name=re.compile("Your first course"))).to_contain_text("+25")
    expect(history.get_by_role("row", name=re.compile("A lesson of"))).to_have_count(3)

    # 2. Their league: this week's group, with them in it.
    page.get_by_role("navigation", name="Rewards").get_by_role("link", name="Streak & league").click()
    expect(page.get_by_role("heading", name="Bronze league")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("You"))).to_contain_text("54")  # tokens earned this week
    page.get_by_role("link", name="Global all time").click()
    expect(page.get_by_test_id("my-rank")).to_contain_text("#1")

    # 3. The shop: a streak freeze, then 7 days of Pro.
    page.get_by_role("navigation", name="Rewards").get_by_role("link", name="Shop").click()
    page.get_by_role("button", name="Redeem Streak freeze for 50 tokens").click()
    expect(page.get_by_text(re.compile("You redeemed “Streak freeze” for 50 tokens"))).to_be_visible()
    page.get_by_role("button", name="Redeem 7 days of Pro for 250 tokens").click()
    expect(page.get_by_text(re.compile("You redeemed “7 days of Pro” for 250 tokens"))).to_be_visible()
    expect(page.get_by_test_id("balance")).to_have_text("54 tokens")

    # 4. A Pro-library course opens.
    page.goto(f"{base}/courses/{pro_course.slug}/")
    page.get_by_role("link", name="Start learning").click()
    expect(page.get_by_role("heading", name=re.compile("Lesson"))).to_be_visible()

    # 5. The wallet history lists all of it.
    page.goto(f"{base}/rewards/")
    history = page.get_by_role("table")
    expect(history.get_by_role("row", name=re.compile("Streak freeze"))).to_contain_text("-50")
    expect(history.get_by_role("row", name=re.compile("7 days of Pro"))).to_contain_text("-250")
    expect(history.get_by_role("row", name=re.compile("A lesson of"))).to_have_count(3)
    assert TokenBalance.objects.get(user=learner).balance == 54
    assert ledger.verify()[1] == []

    # 6. The same pages on a phone: no sideways scrolling, no console errors.
    page.set_viewport_size(PHONE)
    for path in (
        "/rewards/",
        "/rewards/league/",
        "/rewards/league/?board=global",
        "/rewards/shop/",
        "/rewards/friends/",
    ):
        page.goto(f"{base}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_sideways_scroll(page, f"{path} at 375 px")
    assert console_errors == []
