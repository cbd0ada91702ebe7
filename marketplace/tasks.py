"""Celery tasks: thin and idempotent; the rules are in the services."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def release_matured_earnings() -> str:
    """Beat: move every share whose refund window (EARNINGS_PENDING_DAYS) has ended from pending to available."""
    from .services import earnings

    released = earnings.release_matured_earnings()
    return f"{released} sales released"


@shared_task
def pay_out_instructors() -> str:
    """Beat: transfer each instructor's available balance (above PAYOUT_MINIMUM_CENTS); retries failed payouts."""
    from .services import payouts

    summary = payouts.pay_out_instructors().summary()
    logger.info("Instructor payouts: %s", summary)
    return summary
