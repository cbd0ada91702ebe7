"""The token ledger: append-only entries, one balance row per learner, changed together under a row lock.

Every movement goes through `post`, called inside a transaction holding the learner's balance lock
(`lock_balance`). The entry's unique idempotency key makes a replay a no-op: the first entry is returned.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from config.errors import DomainError

from ..models import EarningRule, TokenBalance, TokenEntry
from . import header

Kind = TokenEntry.Kind
EARNINGS = (Kind.EARNED, Kind.BONUS)
COURSE_RULES = (EarningRule.LESSON, EarningRule.COURSE, EarningRule.FIRST_COURSE)


def zone(user) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "timezone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_date(user, at: datetime | None = None) -> date:
    """The learner's calendar day at `at` (their profile's time zone)."""
    return (at or timezone.now()).astimezone(zone(user)).date()


def lock_balance(user) -> TokenBalance:
    """The learner's balance row, created if missing, locked until the caller's transaction ends."""
    TokenBalance.objects.get_or_create(user_id=user.pk)
    return TokenBalance.objects.select_for_update().get(user_id=user.pk)


def existing(key: str) -> TokenEntry | None:
    return TokenEntry.objects.filter(idempotency_key=key).first()


def post(balance: TokenBalance, user, *, kind: str, amount: int, key: str, cause: str, at=None, **fields) -> TokenEntry:
    """Append one entry and move the (locked) balance by it. Callers check `existing(key)` first."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("post() must run inside the transaction holding the balance lock")
    at = at or timezone.now()
    owed_change = fields.pop("owed_change", 0)
    if balance.balance + amount < 0:
        raise DomainError("Not enough tokens.", code="insufficient_tokens", status_code=409)
    entry = TokenEntry.objects.create(
        user_id=user.pk,
        kind=kind,
        amount=amount,
        owed_change=owed_change,
        idempotency_key=key,
        cause=cause[:100],
        local_date=local_date(user, at),
        created_at=at,
        **fields,
    )
    balance.balance += amount
    balance.owed += owed_change
    balance.lifetime_earned += board_contribution(entry)
    balance.save(update_fields=["balance", "owed", "lifetime_earned", "updated_at"])
    header.refresh_after_commit(user.pk)
    return entry


def board_contribution(entry: TokenEntry) -> int:
    """What an entry adds to the learner's all-time earnings (the global board): earnings, less reversals of
    earnings (the part the balance covered and the part owed); spending, refunds of spending and corrections
    do not count."""
    if entry.kind in EARNINGS:
        return entry.amount
    if entry.kind == Kind.REVERSED and not (entry.reverses_id and entry.reverses.kind == Kind.SPENT):
        return entry.amount - entry.owed_change
    return 0


# Verification ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    user_id: int
    what: str

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.what}"


def verify() -> tuple[int, list[Problem]]:
    """Every balance equals the sum of its entries (and its debt the sum of debt changes, its all-time earnings
    the sum of earnings less reversals); every earning has its cause. Returns (balances checked, problems)."""
    sums = {
        row["user_id"]: row
        for row in TokenEntry.objects.values("user_id").annotate(amount=Sum("amount"), owed=Sum("owed_change"))
    }
    earned = dict(
        TokenEntry.objects.filter(kind__in=EARNINGS)
        .values("user_id")
        .annotate(s=Sum("amount"))
        .values_list("user_id", "s")
    )
    reversed_ = {
        row["user_id"]: (row["a"] or 0) - (row["o"] or 0)
        for row in TokenEntry.objects.filter(kind=Kind.REVERSED)
        .exclude(reverses__kind=Kind.SPENT)
        .values("user_id")
        .annotate(a=Sum("amount"), o=Sum("owed_change"))
    }
    problems = []
    checked = 0
    for balance in TokenBalance.objects.order_by("user_id").iterator():
        checked += 1
        row = sums.pop(balance.user_id, {"amount": 0, "owed": 0})
        if balance.balance != (row["amount"] or 0):
            problems.append(Problem(balance.user_id, f"balance {balance.balance} != entries {row['amount'] or 0}"))
        if balance.owed != (row["owed"] or 0):
            problems.append(Problem(balance.user_id, f"owed {balance.owed} != entries {row['owed'] or 0}"))
        lifetime = earned.get(balance.user_id, 0) + reversed_.get(balance.user_id, 0)
        if balance.lifetime_earned != lifetime:
            problems.append(Problem(balance.user_id, f"lifetime {balance.lifetime_earned} != entries {lifetime}"))
    for user_id in sorted(sums):
        problems.append(Problem(user_id, "entries without a balance row"))
    orphans = TokenEntry.objects.filter(kind__in=EARNINGS).filter(Q(cause="") | Q(rule_code=""))
    for entry in orphans.order_by("id")[:1000]:
        problems.append(Problem(entry.user_id, f"earning #{entry.pk} has no cause or rule"))
    course_earnings = TokenEntry.objects.filter(kind__in=EARNINGS, rule_code__in=COURSE_RULES, course__isnull=True)
    for entry in course_earnings.order_by("id")[:1000]:
        problems.append(Problem(entry.user_id, f"earning #{entry.pk} names no course"))
    return checked, problems
