"""Celery tasks: thin and idempotent (every award is keyed by its learning event); the rules are in services."""

import logging
from datetime import datetime

from celery import shared_task
from django.db import OperationalError

logger = logging.getLogger(__name__)
RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


def _when(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


@shared_task(**RETRY)
def lesson_completed(user_id: int, course_id: int, lesson_id: int, completed_at: str | None = None) -> str:
    from .services import workflows

    return workflows.on_lesson_completed(user_id, course_id, lesson_id, at=_when(completed_at))


@shared_task(**RETRY)
def course_completed(user_id: int, course_id: int, completed_at: str | None = None) -> str:
    from .services import workflows

    return workflows.on_course_completed(user_id, course_id, at=_when(completed_at))


@shared_task(**RETRY)
def course_refunded(user_id: int, course_id: int) -> str:
    from .services import workflows

    return workflows.on_course_refunded(user_id, course_id)


@shared_task
def close_league_weeks() -> str:
    """Beat, Monday 00:00 UTC: close the week that ended (idempotent)."""
    from .services import leagues

    return f"{leagues.close_due_weeks()} weeks closed"


@shared_task(**RETRY)
def send_league_results(week_id: int) -> str:
    from .services import leagues

    return f"{leagues.send_results(week_id)} results sent"


@shared_task
def streaks_hourly() -> str:
    """Beat, hourly: freezes for days that ended without learning, and the evening streak-at-risk e-mails."""
    from .services import streaks

    settled = streaks.settle_all()
    reminded = streaks.send_at_risk_reminders()
    return f"{settled} streaks settled, {reminded} reminders sent"
