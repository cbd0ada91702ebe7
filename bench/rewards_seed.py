"""Seed the rewards benchmark: 100,000 learners in the token ledger, this week's leagues and last week's (to
close), then rebuild the Redis leaderboards; print a session cookie for one learner.

Usage (bench/rewards_run.sh does this, after bench/seed.py has seeded the catalogue):
    DATABASE_URL=postgres://... python bench/rewards_seed.py [--learners 100000]

Bulk inserts, idempotent: rows are keyed by `bench-learner-<n>@bench.lyceum.test`; a second run with the same
size only rebuilds the boards and prints a fresh session. Every learner has one bonus entry equal to their
balance (so `verify_tokens` passes), a streak row with a league level, a member row in this week's league
and in last week's (open, so `--close` can time the weekly close).
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "bench-learner-"
DOMAIN = "bench.lyceum.test"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def _groups(week, members_by_level):
    from rewards.models import LeagueGroup

    groups = []
    for level, user_ids in sorted(members_by_level.items()):
        for number, start in enumerate(range(0, len(user_ids), 30), start=1):
            groups.append(
                (
                    LeagueGroup(week=week, level=level, number=number, size=len(user_ids[start : start + 30])),
                    user_ids[start : start + 30],
                )
            )
    LeagueGroup.objects.bulk_create([g for g, _ in groups], batch_size=5000)
    return groups


def seed(n: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from rewards.models import LeagueMember, LeagueWeek, Streak, TokenBalance, TokenEntry
    from rewards.services import leagues

    have = User.objects.filter(email__startswith=PREFIX).count()
    if have == n:
        print(f"{n} bench learners already seeded")
        return
    if have:
        raise SystemExit(f"{have} bench learners exist, {n} wanted: drop the database to reseed another size")
    rng = random.Random(14)
    now = timezone.now()
    started = time.monotonic()
    with transaction.atomic():
        users = [
            User(email=f"{PREFIX}{i}@{DOMAIN}", display_name=f"Learner {i}", password="!", timezone="UTC")  # noqa: S106 - unusable
            for i in range(n)
        ]
        User.objects.bulk_create(users, batch_size=5000)
        ids = list(User.objects.filter(email__startswith=PREFIX).order_by("pk").values_list("pk", flat=True))
        scores = {uid: rng.randint(1, 5000) for uid in ids}
        weekly = {uid: rng.randint(1, 400) for uid in ids}
        levels = {uid: rng.choice([1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10]) for uid in ids}
        TokenBalance.objects.bulk_create(
            [TokenBalance(user_id=uid, balance=s, lifetime_earned=s) for uid, s in scores.items()], batch_size=5000
        )
        TokenEntry.objects.bulk_create(
            [
                TokenEntry(
                    user_id=uid,
                    kind="bonus",
                    amount=s,
                    idempotency_key=f"bench:{uid}",
                    cause="streak:7",
                    rule_code="streak_7",
                    base_amount=s,
                    local_date=now.date(),
                    created_at=now,
                )
                for uid, s in scores.items()
            ],
            batch_size=5000,
        )
        Streak.objects.bulk_create(
            [Streak(user_id=uid, current=rng.randint(0, 60), longest=60, league_level=levels[uid]) for uid in ids],
            batch_size=5000,
        )
        this_week, _ = LeagueWeek.objects.get_or_create(starts_on=leagues.week_start(now))
        last_week, _ = LeagueWeek.objects.get_or_create(starts_on=leagues.week_start(now) - timedelta(days=7))
        for week, tokens in ((this_week, weekly), (last_week, {uid: rng.randint(1, 400) for uid in ids})):
            by_level: dict[int, list[int]] = {}
            for uid in ids:
                by_level.setdefault(levels[uid], []).append(uid)
            members = []
            for group, user_ids in _groups(week, by_level):
                members += [
                    LeagueMember(week=week, group=group, user_id=uid, tokens=tokens[uid], joined_at=now)
                    for uid in user_ids
                ]
            LeagueMember.objects.bulk_create(members, batch_size=5000)
    with connection.cursor() as cursor:
        for table in (
            "accounts_user",
            "rewards_tokenbalance",
            "rewards_tokenentry",
            "rewards_streak",
            "rewards_leaguemember",
            "rewards_leaguegroup",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")  # noqa: S608 - our own table names
    print(f"seeded {n} learners in {time.monotonic() - started:.1f} s")


def session_for_first_learner() -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User

    user = User.objects.get(email=f"{PREFIX}1@{DOMAIN}")
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    # The first backend that loads users (django-axes' comes first and only guards sign-ins).
    store[BACKEND_SESSION_KEY] = next(b for b in settings.AUTHENTICATION_BACKENDS if "axes" not in b.lower())
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def time_close() -> float:
    """Close last week's leagues (100,000 members) and roll back, so the run can be repeated."""
    from django.db import transaction

    from rewards.models import LeagueWeek
    from rewards.services import leagues

    week = LeagueWeek.objects.order_by("starts_on").first()
    started = time.monotonic()
    with transaction.atomic():
        assert leagues.close_week(week)
        elapsed = time.monotonic() - started
        transaction.set_rollback(True)  # nothing is kept (and no result e-mails are queued)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=int(os.environ.get("BENCH_LEARNERS", "100000")))
    parser.add_argument("--close", action="store_true", help="Only time the weekly close (rolled back).")
    parser.add_argument("--session-file", default="", help="Write a signed-in learner's session key here.")
    args = parser.parse_args()
    setup_django()
    if args.close:
        print(f"weekly close of {args.learners} members: {time_close():.1f} s")
        return
    seed(args.learners)
    from django.core.management import call_command

    call_command("rebuild_leaderboards")
    if args.session_file:
        Path(args.session_file).write_text(session_for_first_learner())


if __name__ == "__main__":
    main()
