"""Business-hours arithmetic (support/clock.py): no database."""

from datetime import UTC, date, datetime, time

import pytest

from support.clock import Hours, add, between

OFFICE = Hours("UTC", frozenset({0, 1, 2, 3, 4}), time(9), time(17), frozenset({date(2026, 12, 25)}))


def at(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def test_a_target_inside_one_working_day():
    assert add(at(7, 10), 60, OFFICE) == at(7, 11)  # Monday 7 December


def test_a_target_runs_over_the_weekend():
    # Friday 16:00 + 4 h of office time = 1 h on Friday, 3 h from Monday 09:00.
    assert add(at(11, 16), 4 * 60, OFFICE) == at(14, 12)
    assert between(at(11, 16), at(14, 12), OFFICE) == 4 * 60


def test_a_holiday_is_skipped():
    # Thursday 24 December 16:30 + 1 h: 30 min that day, Christmas off, 30 min on Saturday? no: Monday 28.
    assert add(at(24, 16, 30), 60, OFFICE) == datetime(2026, 12, 28, 9, 30, tzinfo=UTC)


def test_out_of_hours_the_clock_starts_at_the_next_opening():
    assert add(at(12, 13), 30, OFFICE) == at(14, 9, 30)  # asked on Saturday
    assert between(at(12, 10), at(13, 20), OFFICE) == 0


def test_around_the_clock_is_plain_time():
    assert add(at(12, 13), 90, None) == at(12, 14, 30)
    assert between(at(12, 13), at(12, 14, 30), None) == 90


def test_local_hours_follow_the_calendars_time_zone():
    paris = Hours("Europe/Paris", frozenset({0, 1, 2, 3, 4}), time(9), time(17))
    assert add(at(7, 7, 0), 60, paris) == at(7, 9, 0)  # opens 09:00 Paris = 08:00 UTC in winter


def test_a_calendar_without_working_days_is_refused():
    with pytest.raises(ValueError):
        add(at(7, 10), 60, Hours("UTC", frozenset()))
