"""Celery tasks: thin and idempotent; the rules are in the services."""

from celery import shared_task


@shared_task(bind=True, max_retries=6, acks_late=True)
def sync_licence(self, subscription_id: str) -> str:
    from .services import payments

    try:
        licence = payments.sync_licence(subscription_id)
    except Exception as exc:
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=min(2 ** (self.request.retries + 1), 600))
    return licence.status if licence else "ignored"


@shared_task(bind=True, max_retries=6, acks_late=True)
def cancel_subscription(self, subscription_id: str) -> None:
    from billing.interface import cancel_subscription as cancel

    from .services import payments

    try:
        cancel(subscription_id)
    except Exception as exc:
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=min(2 ** (self.request.retries + 1), 600))
    payments.sync_licence(subscription_id)


@shared_task
def suspend_unpaid_licences() -> str:
    from .services import licences

    return f"{licences.suspend_unpaid()} suspended"


@shared_task
def expire_licences_and_quotes() -> str:
    from .services import licences, quotes

    return f"{licences.expire_ended()} licences ended, {quotes.expire_quotes()} quotes expired"


@shared_task
def send_renewal_notices() -> str:
    from .services import renewals

    return f"{renewals.send_renewal_notices()} renewal notice(s) sent"


@shared_task
def check_usage_limits() -> str:
    from .services import usage

    return f"{usage.check_limits()} limit notice(s) sent"
