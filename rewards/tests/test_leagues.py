"""Weekly leagues and leaderboards: placement in groups of 30, the close moving exactly the top 7 up and the
bottom 5 down (once), and the same ranks from Redis and from the database."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from accounts.tests.factories import VerifiedUserFactory
from rewards.models import EarningRule, LeagueGroup, LeagueMember, LeagueWeek, Streak
from rewards.services import boards, earning, follows, leagues

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def earn(user, tokens, at=MONDAY, key=None):
    rule = EarningRule.objects.get(code="lesson_completed")
    return earning.award(
        user, key=key or f"t:{user.pk}:{tokens}:{at.isoformat()}", rule_obj=rule, base=tokens, cause="test", at=at
    )


def test_learners_who_earn_are_placed_in_groups_of_at_most_30_at_their_level():
    people = [VerifiedUserFactory() for _ in range(65)]
    gold = people[-1]
    Streak.objects.create(user=gold, league_level=3)
    for person in people:
        earn(person, 2)
        earn(person, 2, key=f"again:{person.pk}")  # a second earning keeps the seat
    week = LeagueWeek.objects.get(starts_on=MONDAY.date())
    sizes = sorted(LeagueGroup.objects.filter(week=week, level=1).values_list("size", flat=True))
    assert sizes == [4, 30, 30]
    assert LeagueMember.objects.get(user=gold).group.level == 3
    assert LeagueMember.objects.filter(week=week).count() == 65
    assert LeagueMember.objects.get(user=people[0]).tokens == 4


def _group_of(n, level=2):
    people = []
    for i in range(n):
        person = VerifiedUserFactory()
        Streak.objects.create(user=person, league_level=level)
        earn(person, 10 + i)  # distinct scores: person i has rank n - i
        people.append(person)
    return people


@pytest.mark.parametrize(("size", "up", "down"), [(30, 7, 5), (12, 7, 5), (10, 7, 3), (5, 5, 0)])
def test_the_close_moves_the_top_7_up_and_the_bottom_5_down_once(size, up, down, django_capture_on_commit_callbacks):
    people = _group_of(size)
    with time_machine.travel(MONDAY + timedelta(days=7, minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert leagues.close_due_weeks() == 1
        assert leagues.close_due_weeks() == 0  # idempotent
        week = LeagueWeek.objects.get(starts_on=MONDAY.date())
        assert leagues.close_week(week) is False
    levels = {p.pk: lvl for p, lvl in ((p, Streak.objects.get(user=p).league_level) for p in people)}
    ranked = list(reversed(people))  # the last made earned most
    assert [levels[p.pk] for p in ranked[:up]] == [3] * up
    assert [levels[p.pk] for p in ranked[size - down :]] == [1] * down if down else True
    assert sum(1 for lvl in levels.values() if lvl == 2) == size - up - down
    assert LeagueMember.objects.get(user=ranked[0]).final_rank == 1
    assert len(mail.outbox) == size
    assert (
        "promoted" in mail.outbox[0].subject
        or "demoted" in mail.outbox[0].subject
        or "stayed" in mail.outbox[0].subject
    )


def test_a_week_still_running_is_not_closed():
    _group_of(3)
    with time_machine.travel(MONDAY + timedelta(days=6, hours=14, minutes=59), tick=False):  # Sunday 23:59
        assert leagues.close_due_weeks() == 0


def test_bronze_has_no_demotion_and_diamond_no_promotion():
    bronze = _group_of(12, level=1)
    diamond = _group_of(12, level=10)
    with time_machine.travel(MONDAY + timedelta(days=8), tick=False):
        leagues.close_due_weeks()
    assert {Streak.objects.get(user=p).league_level for p in bronze} == {1, 2}
    assert {Streak.objects.get(user=p).league_level for p in diamond} == {9, 10}


def _scenario():
    """Scores with ties, a hidden learner, and one learner far down the board."""
    now = datetime.now(UTC)
    people = []
    for i, tokens in enumerate([50, 30, 30, 30, 20, 10, 10, 5] + [1] * 60):
        person = VerifiedUserFactory(on_public_leaderboards=(i != 2))
        earn(person, tokens, at=now)
        people.append(person)
    return people


def _ranks(board):
    return [(r.rank, r.user_id, r.tokens) for r in board.rows], (board.me.rank, board.me.tokens) if board.me else None


@pytest.mark.redis
def test_redis_and_the_database_give_the_same_ranks(django_capture_on_commit_callbacks, settings):
    assert boards.redis_client() is not None
    with django_capture_on_commit_callbacks(execute=True):
        people = _scenario()
    for person in (people[0], people[3], people[-1]):
        for board in (boards.global_board, boards.weekly_board):
            from_redis = _ranks(board(person.pk))
            from_db = _ranks(board(person.pk, use_redis=False))
            assert from_redis == from_db
    rows, me = _ranks(boards.global_board(people[-1].pk))
    assert len(rows) == 50 and me == (7 + 1, 1)  # ties share a rank: 7 learners have more
    assert people[2].pk not in [r[1] for r in rows]  # hidden
    # Rebuilding from the ledger gives the same answers again.
    boards.redis_client().flushdb()
    call_command("rebuild_leaderboards")
    assert _ranks(boards.global_board(people[3].pk)) == _ranks(boards.global_board(people[3].pk, use_redis=False))


@pytest.mark.redis
def test_hiding_yourself_takes_you_off_the_redis_boards(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        people = _scenario()
    person = people[0]
    person.on_public_leaderboards = False
    person.save()
    assert boards.global_board(person.pk).me is None
    assert _ranks(boards.global_board(people[1].pk)) == _ranks(boards.global_board(people[1].pk, use_redis=False))


def test_database_ranks_share_ties_and_show_you_outside_the_top_50(settings):
    settings.REWARDS_BOARDS_REDIS_URL = ""
    people = _scenario()
    rows, me = _ranks(boards.global_board(people[-1].pk))
    assert [r[2] for r in rows[:7]] == [50, 30, 30, 20, 10, 10, 5]  # the hidden learner is left off
    assert [r[0] for r in rows[:7]] == [1, 2, 2, 4, 5, 5, 7]
    assert me == (8, 1)


def test_friends_board_is_mutual_follows():
    me, friend, fan = VerifiedUserFactory(), VerifiedUserFactory(on_public_leaderboards=False), VerifiedUserFactory()
    for person, tokens in ((me, 5), (friend, 9), (fan, 50)):
        earn(person, tokens, at=datetime.now(UTC))
    follows.follow(me, friend.pk)
    follows.follow(friend, me.pk)
    follows.follow(fan, me.pk)
    board = boards.friends_board(me.pk)
    assert [(r.rank, r.user_id) for r in board.rows] == [(1, friend.pk), (2, me.pk)]
    assert board.me.rank == 2
