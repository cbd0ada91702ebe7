"""Leaderboards: Redis sorted sets when Redis is configured, an equivalent database query otherwise.

Ranks are competition ranks (1 + how many have more tokens); ties are listed by user id. In Redis the member
is the id subtracted from 10^12 and zero-padded, so Redis's reverse order of equal scores (descending
member) is ascending user id, the database's order: both give the same list and the same ranks.
"""

import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from ..models import Follow, LeagueMember, TokenBalance

logger = logging.getLogger(__name__)
TOP = 50
_OFFSET = 10**12
GLOBAL_KEY = "rewards:board:global"
WEEK_TTL = 15 * 24 * 3600


def week_key(starts_on: date) -> str:
    return f"rewards:board:week:{starts_on.isoformat()}"


def _member(user_id: int) -> str:
    return f"{_OFFSET - user_id:012d}"


def _user_id(member) -> int:
    return _OFFSET - int(member)


_clients: dict = {}


def redis_client():
    """The boards' Redis connection, or None when Redis is not configured (the embedded default)."""
    url = getattr(settings, "REWARDS_BOARDS_REDIS_URL", "")
    if not url:
        return None
    if url not in _clients:
        import redis

        _clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _clients[url]


def add_after_commit(user, amount: int, week_starts_on: date) -> None:
    if not getattr(user, "on_public_leaderboards", True) or redis_client() is None:
        return

    def push():
        client = redis_client()
        try:
            pipe = client.pipeline()
            pipe.zincrby(GLOBAL_KEY, amount, _member(user.pk))
            pipe.zincrby(week_key(week_starts_on), amount, _member(user.pk))
            pipe.expire(week_key(week_starts_on), WEEK_TTL)
            pipe.execute()
        except Exception:  # noqa: BLE001 - the boards are rebuilt from the ledger (rebuild_leaderboards)
            logger.exception("Could not update the leaderboards in Redis for user %s", user.pk)

    transaction.on_commit(push, robust=True)


def sync_user(user) -> None:
    """The learner changed their public-boards setting: add or remove them in Redis."""
    from . import leagues

    client = redis_client()
    if client is None:
        return
    week = leagues.week_start()
    try:
        if user.on_public_leaderboards and user.is_active:
            total = TokenBalance.objects.filter(user_id=user.pk).values_list("lifetime_earned", flat=True).first()
            weekly = (
                LeagueMember.objects.filter(user_id=user.pk, week__starts_on=week)
                .values_list("tokens", flat=True)
                .first()
            )
            if total:
                client.zadd(GLOBAL_KEY, {_member(user.pk): total})
            if weekly:
                client.zadd(week_key(week), {_member(user.pk): weekly})
        else:
            client.zrem(GLOBAL_KEY, _member(user.pk))
            client.zrem(week_key(week), _member(user.pk))
    except Exception:  # noqa: BLE001
        logger.exception("Could not sync user %s on the Redis leaderboards", user.pk)


def rebuild() -> dict[str, int]:
    """Rewrite the Redis boards from the ledger (all time) and this week's league tokens."""
    from . import leagues

    client = redis_client()
    if client is None:
        return {}
    week = leagues.week_start()
    counts = {}
    for key, rows in (
        (GLOBAL_KEY, _global_rows()),
        (week_key(week), _weekly_rows(week)),
    ):
        temp = f"{key}:rebuild"
        client.delete(temp)
        batch = {}
        n = 0
        for user_id, score in rows.values_list("user_id", "score").iterator(chunk_size=5000):
            batch[_member(user_id)] = score
            n += 1
            if len(batch) >= 5000:
                client.zadd(temp, batch)
                batch = {}
        if batch:
            client.zadd(temp, batch)
        if n:
            client.rename(temp, key)
        else:
            client.delete(key)
        counts[key] = n
    client.expire(week_key(week), WEEK_TTL)
    return counts


# Reads ------------------------------------------------------------------------------------------

PUBLIC = Q(user__on_public_leaderboards=True, user__is_active=True)


def _global_rows():
    from django.db.models import F

    return TokenBalance.objects.filter(PUBLIC, lifetime_earned__gt=0).annotate(score=F("lifetime_earned"))


def _weekly_rows(week: date):
    from django.db.models import F

    return LeagueMember.objects.filter(PUBLIC, week__starts_on=week, tokens__gt=0).annotate(score=F("tokens"))


@dataclass(frozen=True)
class Row:
    rank: int
    user_id: int
    tokens: int


@dataclass(frozen=True)
class Board:
    rows: list[Row]
    me: Row | None
    total: int


def _from_redis(client, key: str, user_id: int | None) -> Board:
    pipe = client.pipeline()
    pipe.zrevrange(key, 0, TOP - 1, withscores=True)
    pipe.zcard(key)
    if user_id is not None:
        pipe.zscore(key, _member(user_id))
    top, total, *mine = pipe.execute()
    rows = []
    for member, score in top:
        score = int(score)
        rank = rows[-1].rank if rows and rows[-1].tokens == score else len(rows) + 1
        rows.append(Row(rank, _user_id(member), score))
    me = None
    if user_id is not None and mine and mine[0] is not None:
        score = int(mine[0])
        me = Row(client.zcount(key, f"({score}", "+inf") + 1, user_id, score)
    return Board(rows, me, total)


def _from_db(queryset, user_id: int | None) -> Board:
    top = list(queryset.order_by("-score", "user_id").values_list("user_id", "score")[:TOP])
    rows = []
    for uid, score in top:
        rank = rows[-1].rank if rows and rows[-1].tokens == score else len(rows) + 1
        rows.append(Row(rank, uid, score))
    me = None
    if user_id is not None:
        mine = next((r for r in rows if r.user_id == user_id), None)
        if mine is None:
            score = queryset.filter(user_id=user_id).values_list("score", flat=True).first()
            if score is not None:
                mine = Row(queryset.filter(score__gt=score).count() + 1, user_id, score)
        me = mine
    return Board(rows, me, queryset.count())


def global_board(user_id: int | None = None, *, use_redis: bool = True) -> Board:
    client = redis_client() if use_redis else None
    if client is not None:
        return _from_redis(client, GLOBAL_KEY, user_id)
    return _from_db(_global_rows(), user_id)


def weekly_board(user_id: int | None = None, *, use_redis: bool = True) -> Board:
    from . import leagues

    week = leagues.week_start()
    client = redis_client() if use_redis else None
    if client is not None:
        return _from_redis(client, week_key(week), user_id)
    return _from_db(_weekly_rows(week), user_id)


def friend_ids(user_id: int) -> set[int]:
    """Mutual follows."""
    followed = Follow.objects.filter(follower_id=user_id).values("followed_id")
    return set(
        Follow.objects.filter(followed_id=user_id, follower_id__in=followed).values_list("follower_id", flat=True)
    )


def friends_board(user_id: int) -> Board:
    """You and your friends by all-time tokens (friends see each other whatever the public setting)."""
    from django.db.models import F

    ids = friend_ids(user_id) | {user_id}
    rows = TokenBalance.objects.filter(user_id__in=ids).annotate(score=F("lifetime_earned"))
    board = _from_db(rows, user_id)
    if board.me is None:  # no balance yet: you are still on your own board
        me = Row(len([r for r in board.rows if r.tokens > 0]) + 1, user_id, 0)
        return Board([*board.rows, me], me, board.total + 1)
    return board
