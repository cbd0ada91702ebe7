import os

from celery import Celery
from celery.signals import beat_init, worker_init

from operations import multiproc  # imports no Django: safe before settings are loaded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
multiproc.ensure_directory()

app = Celery("lyceum")
app.config_from_object("django.conf:settings", namespace="CELERY")
# No broker configured (the embedded default) means tasks run eagerly. Celery still builds a producer to
# serialise an eager task's arguments; kombu's in-memory transport gives it one without the "No hostname was
# supplied" warning an empty URL causes, and without ever reaching for a broker on localhost.
if not app.conf.broker_url:
    app.conf.broker_url = "memory://localhost/"
app.autodiscover_tasks()


@worker_init.connect
def _worker_metrics(**kwargs):
    """The worker's metrics endpoint (METRICS_EXPORTER_PORT); see operations/exporter.py."""
    from operations.exporter import start_for_process

    start_for_process("worker")


@beat_init.connect
def _beat_metrics(**kwargs):
    from operations.exporter import start_for_process

    start_for_process("beat")
