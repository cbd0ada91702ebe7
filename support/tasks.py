from celery import shared_task

from . import services


@shared_task(name="support.tasks.check_slas")
def check_slas() -> dict:
    """Warn at 75% and mark breaches at 100% of the SLA targets, once each (safe to run twice)."""
    warned, breached = services.check_slas()
    return {"warned": warned, "breached": breached}
