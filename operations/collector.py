"""Gauges computed when Prometheus scrapes /metrics (never per request): readiness, the Celery queue,
the beat heartbeat, and whatever the apps registered (webhook backlog, subscriptions, MRR, payouts ...).

Each registered function is cheap (a fixed number of queries, pinned by a test) and isolated: if one
fails (the database is down), its metrics are left out and lyceum_metrics_collector_up says which.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily

from . import registry

logger = logging.getLogger(__name__)

HEARTBEAT_CACHE_KEY = "operations:celery-heartbeat"


def readiness():
    from config import health

    family = GaugeMetricFamily(
        "lyceum_readiness", "1 when the dependency /readyz checks answers, else 0.", labels=["check"]
    )
    for name, problem in health.dependency_problems().items():
        family.add_metric([name], 0 if health.failing(problem) else 1)
    yield family


def celery_queues():
    """Messages waiting in the broker per queue (from the broker itself, so it works with no worker up)."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL:
        return
    from config.celery import app

    queues = [q.name for q in (app.conf.task_queues or [])] or [app.conf.task_default_queue or "celery"]
    family = GaugeMetricFamily("lyceum_celery_queue_length", "Messages waiting in the broker.", labels=["queue"])
    with app.connection_for_read(settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        channel = conn.default_channel
        for name in queues:
            try:
                _, waiting, _ = channel.queue_declare(queue=name, passive=True)
            except Exception:  # noqa: BLE001 - a queue nobody declared yet holds nothing
                waiting = 0
                channel = conn.channel()
            family.add_metric([name], waiting)
    yield family


def celery_heartbeat():
    """When the worker last ran the heartbeat task that beat schedules every minute (proves both alive)."""
    last = cache.get(HEARTBEAT_CACHE_KEY)
    if last is not None:
        yield GaugeMetricFamily(
            "lyceum_celery_heartbeat_timestamp_seconds",
            "Unix time the worker last ran the heartbeat task beat schedules every minute.",
            value=float(last),
        )


def build_info():
    info = InfoMetricFamily("lyceum_build", "The running release.")
    info.add_metric([], {"release": settings.RELEASE, "environment": settings.ENVIRONMENT})
    yield info


CORE = {
    gauges.name: gauges
    for gauges in (
        registry.Gauges("readiness", readiness, ("lyceum_readiness",)),
        registry.Gauges("celery_queues", celery_queues, ("lyceum_celery_queue_length",)),
        registry.Gauges("celery_heartbeat", celery_heartbeat, ("lyceum_celery_heartbeat_timestamp_seconds",)),
        registry.Gauges("build", build_info, ("lyceum_build_info",)),
    )
}
SELF = ("lyceum_metrics_collector_up", "lyceum_metrics_collector_duration_seconds")


class ScrapeCollector:
    """A prometheus_client collector running the core and the registered gauge functions at scrape time."""

    def collect(self):
        up = GaugeMetricFamily(
            "lyceum_metrics_collector_up", "1 when a scrape-time collector succeeded, else 0.", labels=["collector"]
        )
        duration = GaugeMetricFamily(
            "lyceum_metrics_collector_duration_seconds", "Time a scrape-time collector took.", labels=["collector"]
        )
        for name, gauges in {**CORE, **registry.gauge_collectors()}.items():
            started = time.perf_counter()
            try:
                families = list(gauges.collect() or ())
            except Exception:  # noqa: BLE001 - one broken collector must not hide the others
                logger.exception("Metrics collector %s failed", name)
                up.add_metric([name], 0)
            else:
                yield from families
                up.add_metric([name], 1)
            duration.add_metric([name], time.perf_counter() - started)
        yield up
        yield duration
