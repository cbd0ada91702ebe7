"""Earning rules: each once and only once, the tier boost, the daily cap, nothing on own courses, refunds."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from rewards.models import EarningRule, Program, TokenBalance, TokenEntry
from rewards.services import earning, ledger, workflows
from rewards.tasks import course_completed as course_task
from rewards.tasks import lesson_completed as lesson_task
from subscriptions.interface import EntitlementSource, grant_entitlement

from .factories import complete, complete_course, enrolled_course

pytestmark = pytest.mark.django_db


def balance(user) -> int:
    row = TokenBalance.objects.filter(user=user).first()
    return row.balance if row else 0


def verify_ok():
    checked, problems = ledger.verify()
    assert problems == []
    return checked


def test_completing_a_course_earns_each_rule_once(learner, django_capture_on_commit_callbacks):
    course = enrolled_course(learner, lessons=3)
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(learner, course)
    kinds = sorted(TokenEntry.objects.filter(user=learner).values_list("rule_code", "amount"))
    # 3 lessons × 2, the course 20 + 3 × 1, the first course 25
    assert kinds == [
        ("course_completed", 23),
        ("first_course", 25),
        ("lesson_completed", 2),
        ("lesson_completed", 2),
        ("lesson_completed", 2),
    ]
    assert balance(learner) == 6 + 23 + 25
    entry = TokenEntry.objects.get(user=learner, rule_code="course_completed")
    assert (entry.base_amount, entry.multiplier_bps, entry.course_id, entry.cause) == (
        23,
        10000,
        course.pk,
        f"course:{course.pk}",
    )
    assert any("23" in m.subject or "48" in m.subject for m in mail.outbox)  # the course award e-mail
    assert verify_ok() == 1


def test_replayed_signals_retried_tasks_and_recompletion_earn_nothing_more(learner, django_capture_on_commit_callbacks):
    course = enrolled_course(learner, lessons=2)
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(learner, course)
    before = balance(learner)
    lesson = course.lessons.first()
    # The same tasks again (a redelivered message), the signal again, the lesson completed again.
    lesson_task.delay(learner.pk, course.pk, lesson.pk, timezone.now().isoformat())
    course_task.delay(learner.pk, course.pk, timezone.now().isoformat())
    workflows.on_course_completed(learner.pk, course.pk)
    with django_capture_on_commit_callbacks(execute=True):
        complete(learner, lesson)
    assert balance(learner) == before
    assert TokenEntry.objects.filter(user=learner).count() == 4
    verify_ok()


def test_a_second_course_earns_no_first_course_bonus(learner, django_capture_on_commit_callbacks):
    first, second = enrolled_course(learner, lessons=1), enrolled_course(learner, lessons=1)
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(learner, first)
        complete_course(learner, second)
    assert TokenEntry.objects.filter(user=learner, rule_code="first_course").count() == 1


def test_course_award_is_capped_by_the_rule(learner):
    course_rule = EarningRule.objects.get(code="course_completed")
    assert earning.course_tokens(course_rule, 10) == 30
    assert earning.course_tokens(course_rule, 500) == 100


@pytest.mark.parametrize(("tier", "expected"), [(None, 20), ("pro", 30), ("enterprise", 40)])
def test_the_token_boost_per_tier(learner, tier, expected):
    if tier:
        grant_entitlement(learner, tier, EntitlementSource.STAFF_GRANT, reason="test")
    course = enrolled_course(learner, lessons=0)
    rule = EarningRule.objects.get(code="lesson_completed")
    result = earning.award(learner, key="t:1", rule_obj=rule, base=20, cause="lesson:1", course=course)
    assert result.entry.amount == expected
    assert result.entry.multiplier_bps == {None: 10000, "pro": 15000, "enterprise": 20000}[tier]


def test_boost_rounds_down(learner):
    grant_entitlement(learner, "pro", EntitlementSource.STAFF_GRANT, reason="test")
    course = enrolled_course(learner, lessons=0)
    rule = EarningRule.objects.get(code="lesson_completed")
    assert earning.award(learner, key="t:odd", rule_obj=rule, base=3, cause="lesson:1", course=course).amount == 4


def test_daily_cap_stops_farming_and_resets_the_next_day(learner):
    Program.objects.update(daily_cap=5)
    course = enrolled_course(learner, lessons=0)
    rule = EarningRule.objects.get(code="lesson_completed")
    now = timezone.now()
    amounts = [
        earning.award(learner, key=f"cap:{i}", rule_obj=rule, base=2, cause=f"lesson:{i}", course=course, at=now).amount
        for i in range(4)
    ]
    assert amounts == [2, 2, 1, 0]
    capped = TokenEntry.objects.get(idempotency_key="cap:3")
    assert (capped.amount, capped.capped) == (0, 2)
    tomorrow = now + timedelta(days=1)
    assert earning.award(learner, key="cap:4", rule_obj=rule, base=2, cause="l", course=course, at=tomorrow).amount == 2
    # Bonuses are not capped.
    assert earning.award_streak_milestone(learner, 7, now.date(), at=now).amount == 10
    verify_ok()


def test_an_instructor_earns_nothing_on_their_own_course(django_capture_on_commit_callbacks):
    from marketplace.tests.factories import InstructorFactory

    instructor = InstructorFactory()
    course = enrolled_course(instructor, lessons=2, instructor=instructor)
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(instructor, course)
    assert not TokenEntry.objects.filter(user=instructor).exists()


def test_refund_reverses_what_the_course_earned(learner, django_capture_on_commit_callbacks):
    course = enrolled_course(learner, lessons=2)
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(learner, course)
    earned = balance(learner)
    assert earned == 4 + 22 + 25
    assert earning.reverse_course(learner, course) == earned
    assert earning.reverse_course(learner, course) == 0  # idempotent
    row = TokenBalance.objects.get(user=learner)
    assert (row.balance, row.owed, row.lifetime_earned) == (0, 0, 0)
    verify_ok()


def test_refund_without_enough_balance_is_owed_and_repaid_first(learner, django_capture_on_commit_callbacks):
    course = enrolled_course(learner, lessons=1)
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(learner, course)
    earned = balance(learner)  # 2 + 21 + 25 = 48
    with ledger_lock(learner) as row:
        ledger.post(row, learner, kind="spent", amount=-40, key="spend:1", cause="item:test")
    earning.reverse_course(learner, course)
    row = TokenBalance.objects.get(user=learner)
    assert (row.balance, row.owed) == (0, earned - 8)
    other = enrolled_course(learner, lessons=30)
    earning.award_course(learner, other)  # 20 + 30 = 50 tokens, 40 of which repay the debt
    row.refresh_from_db()
    assert (row.balance, row.owed) == (10, 0)
    assert TokenEntry.objects.filter(user=learner, cause="owed").count() == 1
    verify_ok()


def test_a_refund_through_marketplace_reverses_the_tokens(learner, django_capture_on_commit_callbacks):
    from marketplace.interface import course_refunded

    course = enrolled_course(learner, lessons=1)
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(learner, course)
    course_refunded.send(sender=None, user=learner, course=course, payment=None)
    assert balance(learner) == 0
    assert TokenEntry.objects.filter(user=learner, kind="reversed").count() == 3


def test_an_award_arriving_after_the_refund_earns_nothing(learner):
    """Tasks arrive out of order: the course was refunded (enrolment ended) before its award ran."""
    from marketplace.services.learning import revoke_enrollment

    course = enrolled_course(learner, lessons=1)
    revoke_enrollment(course.enrollments.get(user=learner), reason="Refunded")
    workflows.on_course_completed(learner.pk, course.pk)
    workflows.on_lesson_completed(learner.pk, course.pk, course.lessons.first().pk)
    assert not TokenEntry.objects.filter(user=learner).exists()


def test_verify_tokens_reports_a_tampered_balance(learner, capsys):
    course = enrolled_course(learner, lessons=1)
    earning.award_lesson(learner, course, course.lessons.first().pk)
    call_command("verify_tokens")
    TokenBalance.objects.filter(user=learner).update(balance=999)
    with pytest.raises(Exception, match="problem"):
        call_command("verify_tokens")
    assert "balance 999 != entries 2" in capsys.readouterr().err


def test_correction_needs_the_act_a_reason_and_cannot_go_negative(learner):
    from accounts.tests.factories import staff_in
    from config.errors import DomainError

    staff = staff_in("Rewards")
    support = staff_in("Support")
    with pytest.raises(DomainError) as refused:
        earning.correct(learner, amount=5, reason="x", by=support, key="c:0")
    assert refused.value.status_code == 403
    with pytest.raises(DomainError, match="see fields"):
        earning.correct(learner, amount=5, reason="  ", by=staff, key="c:1")
    with pytest.raises(DomainError, match="below zero"):
        earning.correct(learner, amount=-5, reason="typo", by=staff, key="c:2")
    entry = earning.correct(learner, amount=5, reason="Missed award", by=staff, key="c:3")
    assert earning.correct(learner, amount=5, reason="Missed award", by=staff, key="c:3") == entry
    assert balance(learner) == 5
    verify_ok()


class ledger_lock:  # noqa: N801 - a tiny context manager for tests
    def __init__(self, user):
        self.user = user

    def __enter__(self):
        from django.db import transaction

        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        return ledger.lock_balance(self.user)

    def __exit__(self, *exc):
        return self.atomic.__exit__(*exc)
