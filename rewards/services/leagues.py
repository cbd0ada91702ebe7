"""Weekly leagues: learners who earn tokens in a week are placed in groups of at most 30 at their level; at
the week's close (Monday 00:00 UTC) the top 7 of each group move up and the bottom 5 move down."""

from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from ..models import LeagueGroup, LeagueMember, LeagueWeek, Streak

GROUP_SIZE = 30
PROMOTED = 7
DEMOTED = 5
LEVELS = ("Bronze", "Silver", "Gold", "Sapphire", "Ruby", "Emerald", "Amethyst", "Pearl", "Obsidian", "Diamond")
TOP_LEVEL = len(LEVELS)


def level_name(level: int) -> str:
    return LEVELS[max(1, min(level, TOP_LEVEL)) - 1]


def week_start(at: datetime | None = None) -> date:
    """The Monday (UTC) of the league week `at` falls in."""
    day = (at or timezone.now()).astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def week_end(starts_on: date) -> datetime:
    return datetime.combine(starts_on + timedelta(days=7), datetime.min.time(), tzinfo=UTC)


def current_week(at: datetime | None = None) -> LeagueWeek:
    week, _ = LeagueWeek.objects.get_or_create(starts_on=week_start(at))
    return week


def _place(user, week: LeagueWeek, at: datetime) -> LeagueMember:
    """Put the learner in a group at their level with room (a new group when all are full). The week row's
    lock serialises placements, so two learners never take the last seat twice."""
    LeagueWeek.objects.select_for_update().get(pk=week.pk)
    member = LeagueMember.objects.filter(week=week, user_id=user.pk).first()
    if member is not None:
        return member
    Streak.objects.get_or_create(user_id=user.pk)
    level = Streak.objects.values_list("league_level", flat=True).get(user_id=user.pk)
    group = LeagueGroup.objects.filter(week=week, level=level, size__lt=GROUP_SIZE).order_by("number").first()
    if group is None:
        last = LeagueGroup.objects.filter(week=week, level=level).aggregate(n=Max("number"))["n"] or 0
        group = LeagueGroup.objects.create(week=week, level=level, number=last + 1)
    LeagueGroup.objects.filter(pk=group.pk).update(size=F("size") + 1)
    return LeagueMember.objects.create(week=week, group=group, user_id=user.pk, joined_at=at)


def record_earning(user, amount: int, *, at: datetime) -> None:
    """Inside the award's transaction: the week's tokens for the learner's group, and the boards."""
    from . import boards

    week = current_week(at)
    if week.closed_at is not None:  # a late award for a week already closed counts in this one
        week = current_week()
    member = LeagueMember.objects.filter(week=week, user_id=user.pk).first() or _place(user, week, at)
    LeagueMember.objects.filter(pk=member.pk).update(tokens=F("tokens") + amount)
    boards.add_after_commit(user, amount, week.starts_on)


def _outcomes(members: list[LeagueMember], level: int) -> None:
    size = len(members)
    for rank, member in enumerate(members, start=1):
        member.final_rank = rank
        if rank <= PROMOTED and level < TOP_LEVEL:
            member.outcome = LeagueMember.Outcome.PROMOTED
        elif rank > max(size - DEMOTED, PROMOTED) and level > 1:
            member.outcome = LeagueMember.Outcome.DEMOTED
        else:
            member.outcome = LeagueMember.Outcome.STAYED


def close_week(week: LeagueWeek, *, now: datetime | None = None) -> bool:
    """Rank every group, move the top 7 up and the bottom 5 down, once: a closed week is left alone."""
    now = now or timezone.now()
    if week_end(week.starts_on) > now:
        return False
    with transaction.atomic():
        week = LeagueWeek.objects.select_for_update().get(pk=week.pk)
        if week.closed_at is not None:
            return False
        members = list(
            LeagueMember.objects.filter(week=week)
            .select_related("group")
            .order_by("group_id", "-tokens", "joined_at", "id")
        )
        by_group: dict[int, list[LeagueMember]] = {}
        for member in members:
            by_group.setdefault(member.group_id, []).append(member)
        moves = {LeagueMember.Outcome.PROMOTED: [], LeagueMember.Outcome.DEMOTED: []}
        for group_members in by_group.values():
            _outcomes(group_members, group_members[0].group.level)
            for member in group_members:
                if member.outcome in moves:
                    moves[member.outcome].append(member.user_id)
        LeagueMember.objects.bulk_update(members, ["final_rank", "outcome"], batch_size=2000)
        for i in range(0, len(moves[LeagueMember.Outcome.PROMOTED]), 5000):
            chunk = moves[LeagueMember.Outcome.PROMOTED][i : i + 5000]
            Streak.objects.filter(user_id__in=chunk, league_level__lt=TOP_LEVEL).update(
                league_level=F("league_level") + 1
            )
        for i in range(0, len(moves[LeagueMember.Outcome.DEMOTED]), 5000):
            chunk = moves[LeagueMember.Outcome.DEMOTED][i : i + 5000]
            Streak.objects.filter(user_id__in=chunk, league_level__gt=1).update(league_level=F("league_level") - 1)
        week.closed_at = now
        week.save(update_fields=["closed_at"])
        transaction.on_commit(lambda: _announce(week.pk))
    return True


def _announce(week_id: int) -> None:
    from .. import tasks

    tasks.send_league_results.delay(week_id)


def close_due_weeks(now: datetime | None = None) -> int:
    """Beat (Monday 00:00 UTC): close every week that has ended and is still open."""
    now = now or timezone.now()
    closed = 0
    for week in LeagueWeek.objects.filter(closed_at__isnull=True, starts_on__lte=week_start(now) - timedelta(days=7)):
        closed += close_week(week, now=now)
    return closed


def send_results(week_id: int) -> int:
    """One e-mail per member of a closed week with their result, for those who want reward e-mails."""
    from .. import emails

    sent = 0
    members = (
        LeagueMember.objects.filter(week_id=week_id, user__is_active=True, user__reward_emails=True)
        .exclude(outcome="")
        .select_related("user", "group", "week")
    )
    for member in members.iterator(chunk_size=2000):
        emails.send_now("league_result", member.user, {"member": member, "level_name": level_name(member.group.level)})
        sent += 1
    return sent
