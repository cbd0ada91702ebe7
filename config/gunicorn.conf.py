"""gunicorn settings (Procfile: gunicorn -c config/gunicorn.conf.py config.wsgi:application).

Several workers serve /metrics in turn, so they share their Prometheus counters through
PROMETHEUS_MULTIPROC_DIR (a directory of this process type only, e.g. /tmp/lyceum-metrics/web): the
master empties it at start, and each exiting worker is marked dead. Without it each worker would answer
with only its own counts.
"""

import os

from operations import multiproc

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
accesslog = "-"
logger_class = "config.gunicorn_logging.ProbeQuietLogger"  # successful /healthz and /readyz are not access-logged


def on_starting(server):
    multiproc.reset()


def child_exit(server, worker):
    multiproc.process_dead(worker.pid)
