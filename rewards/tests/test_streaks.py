"""Streaks in the learner's own calendar: time zones, a DST change, freezes used automatically (at most 2),
milestones, and the evening streak-at-risk e-mail (once a day, opt-out)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from accounts.tests.factories import VerifiedUserFactory
from rewards.models import LearningDay, Streak, TokenEntry
from rewards.services import streaks

pytestmark = pytest.mark.django_db


def at(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def learn(user, when):
    return streaks.record_learning(user, at=when)[0]


def test_days_count_in_the_learners_own_time_zone():
    tokyo = VerifiedUserFactory(timezone="Asia/Tokyo")
    # 23:30 UTC on 1 March is 08:30 on 2 March in Tokyo; 14:00 UTC on 2 March is 23:00 there: the same day.
    learn(tokyo, datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    streak = learn(tokyo, datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    assert streak.current == 1
    # 15:30 UTC on 2 March is 00:30 on 3 March in Tokyo: the next day.
    assert learn(tokyo, datetime(2026, 3, 2, 15, 30, tzinfo=UTC)).current == 2
    assert sorted(LearningDay.objects.filter(user=tokyo).values_list("day", flat=True)) == [
        datetime(2026, 3, 2).date(),
        datetime(2026, 3, 3).date(),
    ]


def test_the_same_instants_are_different_days_for_different_zones():
    la = VerifiedUserFactory(timezone="America/Los_Angeles")
    paris = VerifiedUserFactory(timezone="Europe/Paris")
    first, second = datetime(2026, 6, 1, 6, 0, tzinfo=UTC), datetime(2026, 6, 1, 20, 0, tzinfo=UTC)
    for user in (la, paris):
        learn(user, first)
        learn(user, second)
    # Los Angeles: 23:00 on 31 May, then 13:00 on 1 June (two days); Paris: 08:00 and 22:00 on 1 June (one).
    assert Streak.objects.get(user=la).current == 2
    assert Streak.objects.get(user=paris).current == 1


@pytest.mark.parametrize(
    "days",
    [
        # Spring forward in New York (8 March 2026: 02:00 -> 03:00): a 23-hour day.
        [(2026, 3, 7, 23, 30), (2026, 3, 8, 0, 15), (2026, 3, 8, 23, 45), (2026, 3, 9, 0, 5)],
        # Fall back (1 November 2026: 02:00 -> 01:00): a 25-hour day.
        [(2026, 10, 31, 23, 50), (2026, 11, 1, 0, 10), (2026, 11, 1, 23, 50), (2026, 11, 2, 0, 10)],
    ],
)
def test_a_daylight_saving_change_neither_breaks_nor_doubles_a_day(days):
    ny = VerifiedUserFactory(timezone="America/New_York")
    lengths = [learn(ny, at("America/New_York", *d)).current for d in days]
    assert lengths == [1, 2, 2, 3]


def test_a_missed_day_uses_a_freeze_automatically():
    user = VerifiedUserFactory(timezone="UTC")
    learn(user, datetime(2026, 5, 1, 10, tzinfo=UTC))
    learn(user, datetime(2026, 5, 2, 10, tzinfo=UTC))
    Streak.objects.filter(user=user).update(freezes=2)
    streak = learn(user, datetime(2026, 5, 4, 10, tzinfo=UTC))  # 3 May missed
    assert (streak.current, streak.freezes) == (3, 1)
    assert LearningDay.objects.get(user=user, day="2026-05-03").frozen


def test_more_missed_days_than_freezes_breaks_the_streak_and_uses_them():
    user = VerifiedUserFactory(timezone="UTC")
    learn(user, datetime(2026, 5, 1, 10, tzinfo=UTC))
    Streak.objects.filter(user=user).update(freezes=2)
    streak = learn(user, datetime(2026, 5, 5, 10, tzinfo=UTC))  # three days missed, two freezes
    assert (streak.current, streak.freezes) == (1, 0)


def test_the_hourly_task_applies_freezes_when_a_day_ends_without_learning():
    user = VerifiedUserFactory(timezone="Europe/Paris")
    learn(user, at("Europe/Paris", 2026, 5, 1, 20))
    Streak.objects.filter(user=user).update(freezes=1)
    with time_machine.travel(at("Europe/Paris", 2026, 5, 3, 0, 30), tick=False):
        assert streaks.settle_all() == 1
        assert streaks.settle_all() == 0  # settled: nothing more to do today
    streak = Streak.objects.get(user=user)
    assert (streak.current, streak.freezes, str(streak.last_day)) == (1, 0, "2026-05-02")
    assert learn(user, at("Europe/Paris", 2026, 5, 3, 9)).current == 2


def test_freezes_are_capped_at_two():
    user = VerifiedUserFactory()
    streaks.add_freeze(user)
    streaks.add_freeze(user)
    with pytest.raises(Exception, match="at most|most you can hold"):
        streaks.add_freeze(user)
    assert Streak.objects.get(user=user).freezes == 2


def test_the_database_refuses_a_third_freeze():
    from django.db import IntegrityError, transaction

    user = VerifiedUserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Streak.objects.create(user=user, freezes=3)


def test_a_seven_day_streak_earns_its_bonus_and_a_freeze_once(django_capture_on_commit_callbacks):
    from rewards.services import workflows

    from .factories import enrolled_course

    user = VerifiedUserFactory(timezone="UTC")
    course = enrolled_course(user, lessons=8)
    lessons = list(course.lessons.order_by("order"))
    start = datetime(2026, 4, 1, 12, tzinfo=UTC)
    for day in range(7):
        workflows.on_lesson_completed(user.pk, course.pk, lessons[day].pk, at=start + timedelta(days=day))
    bonus = TokenEntry.objects.get(user=user, rule_code="streak_7")
    assert (bonus.kind, bonus.amount) == ("bonus", 10)
    assert Streak.objects.get(user=user).freezes == 1
    workflows.on_lesson_completed(user.pk, course.pk, lessons[7].pk, at=start + timedelta(days=6, hours=2))
    assert TokenEntry.objects.filter(user=user, rule_code="streak_7").count() == 1


def test_streak_at_risk_email_in_the_learners_evening_once_and_opt_out(django_capture_on_commit_callbacks):
    keen = VerifiedUserFactory(timezone="America/New_York")
    quiet = VerifiedUserFactory(timezone="America/New_York", learning_reminders=False)
    done = VerifiedUserFactory(timezone="America/New_York")
    for user in (keen, quiet, done):
        learn(user, at("America/New_York", 2026, 9, 1, 12))
    learn(done, at("America/New_York", 2026, 9, 2, 8))
    with time_machine.travel(at("America/New_York", 2026, 9, 2, 15), tick=False):
        assert streaks.send_at_risk_reminders() == 0  # afternoon: not yet
    with time_machine.travel(at("America/New_York", 2026, 9, 2, 19, 30), tick=False):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert streaks.send_at_risk_reminders() == 1
            assert streaks.send_at_risk_reminders() == 0  # once a day
    assert [m.to for m in mail.outbox] == [[keen.email]]
    message = mail.outbox[0]
    assert "1-day streak" in message.subject
    assert message.alternatives and "profile" in message.body
