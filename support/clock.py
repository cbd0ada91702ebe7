"""Business-hours arithmetic for SLA targets: pure functions over a calendar's hours, weekdays and holidays.

A target of N minutes counted in business hours ends once N minutes of working time have passed; around the
clock it is plain elapsed time. Both directions are needed: `add` turns a target into a due time, `between`
tells how much of a target is left when the clock pauses (the ticket waits on the customer)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 366 * 3  # a calendar with no working day at all must not loop forever


@dataclass(frozen=True)
class Hours:
    """Working hours: `weekdays` are 0 (Monday) to 6, `start`/`end` local times, `holidays` local dates."""

    timezone: str = "UTC"
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)

    def windows(self, moment: datetime):
        """Working windows (aware datetimes) from the day of `moment` on, clipped to start at `moment`."""
        zone = ZoneInfo(self.timezone)
        day = moment.astimezone(zone).date()
        for _ in range(MAX_DAYS):
            if day.weekday() in self.weekdays and day not in self.holidays:
                opens = datetime.combine(day, self.start, zone)
                closes = datetime.combine(day, self.end, zone)
                if closes > moment:
                    yield max(opens, moment), closes
            day += timedelta(days=1)
        raise ValueError("The calendar has no working time in the next three years.")


def add(start: datetime, minutes: int, hours: Hours | None) -> datetime:
    """The moment `minutes` of working time after `start` (around the clock when `hours` is None)."""
    if minutes <= 0:
        return start
    if hours is None:
        return start + timedelta(minutes=minutes)
    left = timedelta(minutes=minutes)
    for opens, closes in hours.windows(start):
        if closes - opens >= left:
            return opens + left
        left -= closes - opens
    raise AssertionError("unreachable: windows() raises first")


def between(start: datetime, end: datetime, hours: Hours | None) -> int:
    """Whole minutes of working time from `start` to `end` (0 when `end` is not after `start`)."""
    if end <= start:
        return 0
    if hours is None:
        return int((end - start).total_seconds() // 60)
    total = timedelta()
    for opens, closes in hours.windows(start):
        if opens >= end:
            break
        total += min(closes, end) - opens
    return int(total.total_seconds() // 60)
