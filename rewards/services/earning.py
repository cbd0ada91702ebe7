"""Earning tokens for learning, and taking them back when a course is refunded.

Each award is keyed by the learning event (lesson, course, first course, streak milestone), so a replayed
signal, a retried task or a re-completed course finds its entry and changes nothing. The rule's values, the
tier's boost and what the daily cap held back are frozen on the entry.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.interface import User
from marketplace.interface import Course, lesson_count
from operations.interface import metrics
from subscriptions.interface import current_tier_code, has_feature

from .. import emails
from ..models import EarningRule, Program, TokenBoost, TokenEntry
from . import ledger

logger = logging.getLogger(__name__)
Kind = TokenEntry.Kind
BOOST_FEATURE = "token_boost"
X1 = 10_000


def program() -> Program:
    found = Program.objects.order_by("pk").first()
    return found or Program.objects.get_or_create(pk=1)[0]


def rule(code: str) -> EarningRule | None:
    return EarningRule.objects.filter(code=code, is_active=True).first()


def boost_bps(user) -> int:
    """The learner's earnings multiplier now, in basis points: their tier's, when it has the token boost."""
    if not has_feature(user, BOOST_FEATURE):
        return X1
    boost = TokenBoost.objects.filter(tier_code=current_tier_code(user)).first()
    return boost.multiplier_bps if boost else X1


@dataclass(frozen=True)
class Award:
    entry: TokenEntry | None
    created: bool

    @property
    def amount(self) -> int:
        return self.entry.amount if self.entry else 0


def _earned_on(user, day) -> int:
    total = TokenEntry.objects.filter(user_id=user.pk, kind=Kind.EARNED, local_date=day).aggregate(s=Sum("amount"))
    return total["s"] or 0


def award(
    user,
    *,
    key: str,
    rule_obj: EarningRule,
    base: int,
    cause: str,
    kind: str = Kind.EARNED,
    course: Course | None = None,
    at: datetime | None = None,
) -> Award:
    """Credit `base` tokens (boosted by the tier, capped per day for earnings; bonuses are not capped) once per
    key. Debt from an earlier reversal is repaid first. Returns the entry and whether it is new."""
    from . import leagues

    at = at or timezone.now()
    with transaction.atomic():
        balance = ledger.lock_balance(user)
        found = ledger.existing(key)
        if found is not None:
            return Award(found, False)
        multiplier = boost_bps(user)
        boosted = base * multiplier // X1  # rounded down
        capped = 0
        if kind == Kind.EARNED:
            room = max(program().daily_cap - _earned_on(user, ledger.local_date(user, at)), 0)
            capped = max(boosted - room, 0)
        amount = boosted - capped
        entry = ledger.post(
            balance,
            user,
            kind=kind,
            amount=amount,
            key=key,
            cause=cause,
            at=at,
            rule_code=rule_obj.code,
            base_amount=base,
            multiplier_bps=multiplier,
            capped=capped,
            course=course,
            note="Daily cap reached." if capped and not amount else "",
        )
        repaid = min(amount, balance.owed)
        if repaid:
            ledger.post(
                balance,
                user,
                kind=Kind.REVERSED,
                amount=-repaid,
                owed_change=-repaid,
                key=f"repay:{key}",
                cause="owed",
                at=at,
                note="Repays tokens owed from an earlier refund.",
            )
        if amount:
            metrics.tokens_issued(amount, rule_obj.code)
            leagues.record_earning(user, amount, at=at)
    return Award(entry, True)


def _own_course(user, course: Course) -> bool:
    return course.instructor_id == user.pk


def award_lesson(user, course: Course, lesson_id: int, *, at: datetime | None = None) -> Award:
    """A lesson completed for the first time: the lesson rule's tokens, once per learner and lesson."""
    lesson_rule = rule(EarningRule.LESSON)
    if lesson_rule is None or _own_course(user, course):
        return Award(None, False)
    return award(
        user,
        key=f"lesson:{user.pk}:{lesson_id}",
        rule_obj=lesson_rule,
        base=lesson_rule.tokens,
        cause=f"lesson:{lesson_id}",
        course=course,
        at=at,
    )


def course_tokens(course_rule: EarningRule, lessons: int) -> int:
    base = course_rule.tokens + course_rule.per_lesson * lessons
    return min(base, course_rule.cap) if course_rule.cap is not None else base


def award_course(user, course: Course, *, at: datetime | None = None) -> list[Award]:
    """A course completed: the course rule (20 + 1 per lesson, capped), and the first-course bonus once ever."""
    if _own_course(user, course):
        return []
    awards = []
    course_rule = rule(EarningRule.COURSE)
    if course_rule is not None:
        awards.append(
            award(
                user,
                key=f"course:{user.pk}:{course.pk}",
                rule_obj=course_rule,
                base=course_tokens(course_rule, lesson_count(course)),
                cause=f"course:{course.pk}",
                course=course,
                at=at,
            )
        )
    first_rule = rule(EarningRule.FIRST_COURSE)
    if first_rule is not None:
        awards.append(
            award(
                user,
                key=f"first_course:{user.pk}",
                rule_obj=first_rule,
                base=first_rule.tokens,
                cause=f"first_course:{course.pk}",
                kind=Kind.BONUS,
                course=course,
                at=at,
            )
        )
    total = sum(a.amount for a in awards if a.created)
    if total:
        emails.send_after_commit("course_award", user, course=course, tokens=total)
    return awards


def award_streak_milestone(user, days: int, started_on, *, at: datetime | None = None) -> Award:
    """A streak reached a milestone (7, 30, 100, 365 days): its bonus, once per streak run."""
    milestone = EarningRule.objects.filter(streak_days=days, is_active=True).first()
    if milestone is None:
        return Award(None, False)
    result = award(
        user,
        key=f"streak:{user.pk}:{started_on.isoformat()}:{days}",
        rule_obj=milestone,
        base=milestone.tokens,
        cause=f"streak:{days}",
        kind=Kind.BONUS,
        at=at,
    )
    if result.created:
        emails.send_after_commit("streak_milestone", user, days=days, tokens=result.amount)
    return result


def reverse_course(user, course: Course, *, at: datetime | None = None) -> int:
    """A refunded course gives back what it earned (its lessons, the course, a first-course bonus). What the
    balance cannot cover is recorded as owed and taken from future earnings first. Returns tokens reversed."""
    at = at or timezone.now()
    reversed_total = 0
    with transaction.atomic():
        balance = ledger.lock_balance(user)
        earnings = TokenEntry.objects.filter(user_id=user.pk, course=course, kind__in=ledger.EARNINGS).order_by("id")
        for earning in earnings:
            key = f"reverse:{earning.idempotency_key}"
            if earning.amount == 0 or ledger.existing(key) is not None:
                continue
            covered = min(earning.amount, balance.balance)
            ledger.post(
                balance,
                user,
                kind=Kind.REVERSED,
                amount=-covered,
                owed_change=earning.amount - covered,
                key=key,
                cause=f"refund:{course.pk}",
                at=at,
                course=course,
                reverses=earning,
                note=f"“{course.title}” was refunded.",
            )
            reversed_total += earning.amount
    return reversed_total


def correct(user, *, amount: int, reason: str, by, key: str) -> TokenEntry:
    """Staff fix a mistake with a correcting entry (never by editing one). Refused if it would go negative."""
    from accounts.interface import may
    from config.errors import DomainError

    if not may(by, "rewards.correct_ledger"):
        raise DomainError(
            "Only staff in the Rewards group can correct token balances.", code="permission_denied", status_code=403
        )
    reason = (reason or "").strip()
    fields = {}
    if not reason:
        fields["reason"] = ["Say why the balance is being corrected."]
    if not isinstance(amount, int) or amount == 0:
        fields["amount"] = ["A whole number of tokens other than zero."]
    elif abs(amount) > 1_000_000:
        fields["amount"] = ["At most 1,000,000 tokens at a time."]
    if fields:
        raise DomainError("The correction is not valid; see fields.", code="validation_error", fields=fields)
    with transaction.atomic():
        balance = ledger.lock_balance(user)
        found = ledger.existing(key)
        if found is not None:
            return found
        if balance.balance + amount < 0:
            raise DomainError(
                f"The balance is {balance.balance} tokens; a correction cannot take it below zero.",
                code="insufficient_tokens",
                fields={"amount": [f"At least {-balance.balance}."]},
                status_code=409,
            )
        entry = ledger.post(
            balance,
            user,
            kind=Kind.CORRECTION,
            amount=amount,
            key=key,
            cause="correction",
            note=reason[:500],
            created_by=by,
        )
        if amount > 0:
            metrics.tokens_issued(amount, "correction")
        else:
            metrics.tokens_spent(-amount, "correction")
    return entry


def user_by_id(user_id: int):
    return User.objects.filter(pk=user_id, is_active=True).first()
