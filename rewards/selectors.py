"""Reads of the rewards app, with fixed query counts (pinned by tests)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from .models import EarningRule, LeagueMember, LearningDay, Redemption, ShopItem, Streak, TokenBalance, TokenEntry
from .services import leagues, ledger, streaks


@dataclass(frozen=True)
class Summary:
    balance: int
    owed: int
    lifetime: int
    streak: int
    longest: int
    freezes: int
    level: int
    learned_today: bool

    @property
    def level_name(self) -> str:
        return leagues.level_name(self.level)


def wallet_summary(user) -> Summary | None:
    """Balance, streak (as it stands today), freezes and league level: two queries."""
    if not getattr(user, "is_authenticated", False):
        return None
    balance = TokenBalance.objects.filter(user_id=user.pk).first()
    streak = Streak.objects.filter(user_id=user.pk).first()
    today = ledger.local_date(user)
    return Summary(
        balance=balance.balance if balance else 0,
        owed=balance.owed if balance else 0,
        lifetime=balance.lifetime_earned if balance else 0,
        streak=streaks.current_length(streak, today),
        longest=streak.longest if streak else 0,
        freezes=streak.freezes if streak else 0,
        level=streak.league_level if streak else 1,
        learned_today=bool(streak and streak.last_day == today and streak.current),
    )


def next_milestone(current: int) -> tuple[int, int] | None:
    """(days, tokens) of the next streak milestone."""
    rule = EarningRule.objects.filter(streak_days__gt=current, is_active=True).order_by("streak_days").first()
    return (rule.streak_days, rule.tokens) if rule else None


def entries(user, kind: str | None = None):
    queryset = TokenEntry.objects.filter(user_id=user.pk).select_related("course", "redemption__item")
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("-created_at", "-id")


def learning_calendar(user, *, today: date | None = None, days: int = 364) -> list[list[tuple[date, int, bool]]]:
    """The last year as weeks (columns) of days: (day, lessons, frozen) for a server-drawn heat map."""
    today = today or ledger.local_date(user)
    start = today - timedelta(days=days)
    start -= timedelta(days=start.weekday())
    rows = {
        row.day: row
        for row in LearningDay.objects.filter(user_id=user.pk, day__gte=start, day__lte=today).only(
            "day", "lessons", "frozen"
        )
    }
    weeks = []
    day = start
    while day <= today:
        week = []
        for _ in range(7):
            if day <= today:
                row = rows.get(day)
                week.append((day, row.lessons if row else 0, bool(row and row.frozen)))
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


def league_standing(user):
    """This week's group for the learner (members ranked) or None when they have not earned this week."""
    week = leagues.week_start()
    member = LeagueMember.objects.filter(user_id=user.pk, week__starts_on=week).select_related("group").first()
    if member is None:
        return None, []
    members = list(
        LeagueMember.objects.filter(group_id=member.group_id)
        .select_related("user")
        .order_by("-tokens", "joined_at", "id")
    )
    return member, members


def shop_items(user=None, *, now=None):
    """Items on sale now, with the learner's redemption count of each."""
    now = now or timezone.now()
    queryset = ShopItem.objects.filter(is_active=True).filter(
        Q(available_from__isnull=True) | Q(available_from__lte=now),
        Q(available_until__isnull=True) | Q(available_until__gt=now),
    )
    if user is not None and getattr(user, "is_authenticated", False):
        queryset = queryset.annotate(
            mine=Count("redemptions", filter=Q(redemptions__user_id=user.pk, redemptions__status="granted"))
        )
    return queryset.order_by("order", "price")


def badges(user) -> list[str]:
    return list(
        Redemption.objects.filter(user_id=user.pk, item__kind=ShopItem.Kind.BADGE, status=Redemption.Status.GRANTED)
        .values_list("item__badge_label", flat=True)
        .distinct()
    )


def display_names(user_ids) -> dict[int, str]:
    from accounts.interface import User

    return {u.pk: u.name for u in User.objects.filter(pk__in=list(user_ids)).only("id", "display_name", "email")}


def friends_page(user) -> dict:
    """Friends (mutual), people you follow, and people who follow you: three queries."""
    from .models import Follow

    following = list(
        Follow.objects.filter(follower_id=user.pk).select_related("followed").order_by("followed__display_name")
    )
    follower_ids = set(Follow.objects.filter(followed_id=user.pk).values_list("follower_id", flat=True))
    followers = list(
        Follow.objects.filter(followed_id=user.pk)
        .exclude(follower_id__in=[f.followed_id for f in following])
        .select_related("follower")
    )
    return {
        "friends": [f.followed for f in following if f.followed_id in follower_ids],
        "following": [f.followed for f in following if f.followed_id not in follower_ids],
        "followers": [f.follower for f in followers],
    }


def public_profile(learner, *, viewer) -> dict:
    from .models import Follow

    summary = wallet_summary_for(learner)
    follows = bool(
        getattr(viewer, "is_authenticated", False)
        and Follow.objects.filter(follower_id=viewer.pk, followed_id=learner.pk).exists()
    )
    return {
        "learner": learner,
        "summary": summary if learner.on_public_leaderboards else None,
        "badges": badges(learner),
        "follows": follows,
        "is_me": getattr(viewer, "pk", None) == learner.pk,
    }


def wallet_summary_for(learner) -> Summary:
    class _Viewer:
        is_authenticated = True
        pk = learner.pk
        timezone = learner.timezone

    return wallet_summary(_Viewer)


def weekly_token_totals(weeks: int = 12, *, now=None) -> list[dict]:
    """Per league week (Monday UTC), oldest first: issued, spent, reversed and outstanding at the week's end."""
    from django.db.models import Sum

    now = now or timezone.now()
    first = leagues.week_start(now) - timedelta(days=7 * (weeks - 1))
    start = leagues.week_end(first) - timedelta(days=7)
    before = TokenEntry.objects.filter(created_at__lt=start).aggregate(s=Sum("amount"))["s"] or 0
    buckets = {first + timedelta(days=7 * i): {"issued": 0, "spent": 0, "reversed": 0, "net": 0} for i in range(weeks)}
    for kind, amount, created_at in (
        TokenEntry.objects.filter(created_at__gte=start)
        .values_list("kind", "amount", "created_at")
        .iterator(chunk_size=5000)
    ):
        bucket = buckets.get(leagues.week_start(created_at))
        if bucket is None:
            continue
        bucket["net"] += amount
        if kind in (TokenEntry.Kind.EARNED, TokenEntry.Kind.BONUS) or (
            kind == TokenEntry.Kind.CORRECTION and amount > 0
        ):
            bucket["issued"] += amount
        elif kind == TokenEntry.Kind.SPENT or (kind == TokenEntry.Kind.CORRECTION and amount < 0):
            bucket["spent"] -= amount
        elif kind == TokenEntry.Kind.REVERSED and amount > 0:  # a redemption refunded: not spent after all
            bucket["spent"] -= amount
        else:
            bucket["reversed"] -= amount
    result = []
    outstanding = before
    for week, bucket in sorted(buckets.items()):
        outstanding += bucket["net"]
        result.append({"week": week, **bucket, "outstanding": outstanding})
    return result
