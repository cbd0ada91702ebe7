import time

from celery import shared_task
from django.core.cache import cache

from .collector import HEARTBEAT_CACHE_KEY


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Beat sends this every minute; the worker running it proves beat, broker and worker alive
    (exported as lyceum_celery_heartbeat_timestamp_seconds, read by launch_check)."""
    cache.set(HEARTBEAT_CACHE_KEY, time.time(), timeout=None)
