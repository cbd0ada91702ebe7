"""Streaks: a day counts when the learner completes a lesson on that day of their own calendar (their
profile's time zone). Missed days are covered by streak freezes while any remain (at most 2 held)."""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..models import LearningDay, Streak
from . import ledger

MAX_FREEZES = 2
MILESTONES = (7, 30, 100, 365)


def lock_streak(user) -> Streak:
    """The learner's streak row, locked; the header badge is refreshed when the transaction commits."""
    from . import header

    Streak.objects.get_or_create(user_id=user.pk)
    header.refresh_after_commit(user.pk)
    return Streak.objects.select_for_update().get(user_id=user.pk)


def _settle(streak: Streak, today: date) -> list[date]:
    """Cover the days missed before `today` with freezes, one per day while any remain; when they run out the
    streak is broken. Returns the frozen days."""
    if streak.last_day is None or streak.current == 0:
        return []
    missed = (today - streak.last_day).days - 1
    if missed <= 0:
        return []
    frozen = []
    day = streak.last_day
    while missed and streak.freezes:
        day += timedelta(days=1)
        streak.freezes -= 1
        missed -= 1
        frozen.append(day)
    if frozen:
        streak.last_day = day
    if missed:
        streak.current = 0
        streak.started_on = None
    for frozen_day in frozen:
        LearningDay.objects.get_or_create(user_id=streak.user_id, day=frozen_day, defaults={"frozen": True})
    return frozen


def settle(user, *, at: datetime | None = None) -> Streak:
    """Apply freezes for days already missed (the beat task runs this after each learner's day ends)."""
    with transaction.atomic():
        streak = lock_streak(user)
        _settle(streak, ledger.local_date(user, at))
        streak.save()
    return streak


def record_learning(user, *, at: datetime | None = None) -> tuple[Streak, int | None]:
    """A lesson completed at `at`: count the day. Returns the streak and the milestone reached (or None).
    An event from a day before the last counted one (a late task) only marks its day on the calendar."""
    at = at or timezone.now()
    day = ledger.local_date(user, at)
    reached = None
    with transaction.atomic():
        streak = lock_streak(user)
        learning_day, created = LearningDay.objects.get_or_create(user_id=user.pk, day=day, defaults={"lessons": 1})
        if not created:
            learning_day.lessons += 1
            learning_day.frozen = False
            learning_day.save(update_fields=["lessons", "frozen"])
        if streak.last_day is not None and day <= streak.last_day:
            return streak, None
        _settle(streak, day)
        if streak.current and streak.last_day == day - timedelta(days=1):
            streak.current += 1
        else:
            streak.current = 1
            streak.started_on = day
        streak.last_day = day
        streak.longest = max(streak.longest, streak.current)
        if streak.current in MILESTONES:
            reached = streak.current
            streak.freezes = min(streak.freezes + 1, MAX_FREEZES)
        streak.save()
    return streak, reached


def add_freeze(user) -> Streak:
    """Inside the caller's transaction (a shop redemption): one more freeze, refused at the cap."""
    from config.errors import ConflictError

    streak = lock_streak(user)
    if streak.freezes >= MAX_FREEZES:
        raise ConflictError(
            f"You already hold {MAX_FREEZES} streak freezes, the most you can hold.", code="freeze_limit"
        )
    streak.freezes += 1
    streak.save(update_fields=["freezes", "updated_at"])
    return streak


def current_length(streak: Streak | None, today: date) -> int:
    """The streak as it stands today (a read: days missed beyond the freezes held break it)."""
    if streak is None or not streak.current or streak.last_day is None:
        return 0
    missed = (today - streak.last_day).days - 1
    return streak.current if missed <= streak.freezes else 0


def at_risk_users(now: datetime | None = None, *, evening_hour: int = 19):
    """Learners with a streak who have not learned today, whose local time is past `evening_hour`, who want
    reminders and were not reminded today."""
    now = now or timezone.now()
    candidates = Streak.objects.filter(current__gt=0, user__is_active=True, user__learning_reminders=True)
    for streak in candidates.select_related("user").iterator():
        user = streak.user
        today = ledger.local_date(user, now)
        local_hour = now.astimezone(ledger.zone(user)).hour
        if local_hour < evening_hour or streak.reminded_on == today or streak.last_day is None:
            continue
        if streak.last_day >= today or current_length(streak, today) == 0:
            continue
        yield streak, today


def send_at_risk_reminders(now: datetime | None = None) -> int:
    """The evening e-mail, once per learner and day at most (reminded_on is set under the row lock)."""
    from .. import emails

    sent = 0
    for streak, today in list(at_risk_users(now)):
        with transaction.atomic():
            locked = Streak.objects.select_for_update(of=("self",)).select_related("user").get(pk=streak.pk)
            if locked.reminded_on == today or (locked.last_day and locked.last_day >= today):
                continue
            locked.reminded_on = today
            locked.save(update_fields=["reminded_on", "updated_at"])
            emails.send_after_commit("streak_at_risk", locked.user, streak=locked)
            sent += 1
    return sent


def settle_all(now: datetime | None = None) -> int:
    """Beat: apply freezes (or break streaks) for learners whose day with no learning has ended."""
    count = 0
    now = now or timezone.now()
    for streak in Streak.objects.filter(current__gt=0).select_related("user").iterator():
        today = ledger.local_date(streak.user, now)
        if streak.last_day is not None and (today - streak.last_day).days > 1:
            settle(streak.user, at=now)
            count += 1
    return count
