"""Celery task metrics from signals: runs by state, durations, tasks published (beat's sends among them)."""

import time

from celery import signals

from . import metrics

_STATES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}
_started: dict[str, float] = {}


def _prerun(task_id=None, **kwargs):
    if task_id:
        _started[task_id] = time.perf_counter()


def _postrun(task_id=None, task=None, state=None, **kwargs):
    started = _started.pop(task_id, None)
    name = getattr(task, "name", None) or "unknown"
    if started is not None:
        metrics.CELERY_TASK_DURATION.labels(name).observe(time.perf_counter() - started)
    if state in _STATES:
        metrics.CELERY_TASKS.labels(name, _STATES[state]).inc()


def _published(sender=None, **kwargs):
    metrics.CELERY_PUBLISHED.labels(sender or "unknown").inc()


def _process_shutdown(pid=None, **kwargs):
    from .multiproc import process_dead

    process_dead(pid)


def connect() -> None:
    signals.task_prerun.connect(_prerun, dispatch_uid="operations.task_prerun")
    signals.task_postrun.connect(_postrun, dispatch_uid="operations.task_postrun")
    signals.before_task_publish.connect(_published, dispatch_uid="operations.before_task_publish")
    signals.worker_process_shutdown.connect(_process_shutdown, dispatch_uid="operations.worker_process_shutdown")
