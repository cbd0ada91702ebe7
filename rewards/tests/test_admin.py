"""The rewards console: corrections through a form that calls the service, the weekly chart, closing weeks,
and the ledger read-only."""

from datetime import date, timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from accounts.tests.factories import VerifiedUserFactory, staff_in
from rewards.models import LeagueWeek, TokenBalance, TokenEntry
from rewards.services import earning

from .factories import enrolled_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def rewards_staff():
    return staff_in("Rewards")


def test_a_correction_from_the_console_posts_an_entry_with_the_reason(client, rewards_staff):
    learner = VerifiedUserFactory()
    course = enrolled_course(learner, lessons=1)
    earning.award_lesson(learner, course, course.lessons.first().pk)
    balance = TokenBalance.objects.get(user=learner)
    client.force_login(rewards_staff)
    response = client.post(
        reverse("admin:rewards_tokenbalance_changelist"), {"action": "correct", ACTION_CHECKBOX_NAME: [balance.pk]}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"/{balance.pk}/correct/")
    page = client.get(response["Location"])
    assert "2 tokens" in page.content.decode()
    key = page.context["form"].initial["key"]
    bad = client.post(response["Location"], {"amount": -5, "reason": "Too much", "key": key})
    assert "below zero" in bad.content.decode()
    assert (
        "other than zero"
        in client.post(response["Location"], {"amount": 0, "reason": "x", "key": key}).content.decode()
    )
    done = client.post(response["Location"], {"amount": 3, "reason": "Missed award", "key": key}, follow=True)
    assert "Correction of +3 tokens" in done.content.decode()
    client.post(response["Location"], {"amount": 3, "reason": "Missed award", "key": key})  # a double submit
    entry = TokenEntry.objects.get(user=learner, kind="correction")
    assert (entry.amount, entry.note, entry.created_by) == (3, "Missed award", rewards_staff)
    assert TokenBalance.objects.get(user=learner).balance == 5


def test_the_ledger_is_read_only_in_the_console(client, rewards_staff):
    learner = VerifiedUserFactory()
    course = enrolled_course(learner, lessons=1)
    earning.award_lesson(learner, course, course.lessons.first().pk)
    entry = TokenEntry.objects.get(user=learner)
    client.force_login(rewards_staff)
    client.post(reverse("admin:rewards_tokenentry_change", args=[entry.pk]), {"amount": 999})
    assert TokenEntry.objects.get(pk=entry.pk).amount == 2
    assert client.post(reverse("admin:rewards_tokenentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403


def test_the_dashboard_charts_issued_spent_and_outstanding(client, rewards_staff):
    learner = VerifiedUserFactory()
    course = enrolled_course(learner, lessons=2)
    for lesson in course.lessons.all():
        earning.award_lesson(learner, course, lesson.pk)
    client.force_login(rewards_staff)
    response = client.get(reverse("admin:rewards_dashboard"))
    assert response.status_code == 200
    weeks = response.context["weeks"]
    assert len(weeks) == 12
    assert (weeks[-1]["issued"], weeks[-1]["spent"], weeks[-1]["outstanding"]) == (4, 0, 4)
    assert "bar-100" in response.content.decode()


def test_closing_a_week_from_the_console(client, rewards_staff):
    week = LeagueWeek.objects.create(starts_on=date.today() - timedelta(days=date.today().weekday() + 14))
    running = LeagueWeek.objects.create(starts_on=date.today() - timedelta(days=date.today().weekday()))
    client.force_login(rewards_staff)
    response = client.post(
        reverse("admin:rewards_leagueweek_changelist"),
        {"action": "close", ACTION_CHECKBOX_NAME: [week.pk, running.pk]},
        follow=True,
    )
    assert "1 week(s) closed" in response.content.decode()
    week.refresh_from_db()
    running.refresh_from_db()
    assert week.closed_at is not None and running.closed_at is None
