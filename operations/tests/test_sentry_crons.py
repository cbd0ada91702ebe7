"""Sentry: each beat job reports a Cron check-in, so a silent scheduler is noticed; traces are sampled at
the configured rate. A fresh interpreter talks to a local stand-in for Sentry's ingestion endpoint."""

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.sentry import init_sentry

SCRIPT = """
import django, json, sentry_sdk
django.setup()
from celery.beat import Scheduler, ScheduleEntry
from config.celery import app
app.conf.broker_url = "memory://"
app.conf.task_always_eager = False
scheduler = Scheduler(app, lazy=True)
for name, spec in app.conf.beat_schedule.items():
    entry = ScheduleEntry(name=name, task=spec["task"], schedule=spec["schedule"], app=app)
    scheduler.apply_entry(entry, producer=None)
sentry_sdk.flush(10)
print(json.dumps({"traces_sample_rate": sentry_sdk.get_client().options["traces_sample_rate"]}))
"""


def _decode(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli  # only when sentry-sdk found it installed

        return brotli.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


class FakeSentry(ThreadingHTTPServer):
    """Records the items of every envelope posted to it."""

    daemon_threads = True

    def __init__(self):
        self.items: list[tuple[dict, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                lines = _decode(body, self.headers.get("Content-Encoding", "")).split(b"\n")
                for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                    if header.strip():
                        server.items.append((json.loads(header), json.loads(payload or b"{}")))
                self.send_response(200)
                self.end_headers()

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def test_every_beat_job_checks_in_and_traces_are_sampled_at_the_configured_rate():
    sentry = FakeSentry()
    try:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "SENTRY_DSN": f"http://public@127.0.0.1:{sentry.server_address[1]}/1",
            "SENTRY_TRACES_SAMPLE_RATE": "0.25",
        }
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert json.loads(result.stdout.strip().splitlines()[-1]) == {"traces_sample_rate": 0.25}
    finally:
        sentry.shutdown()
    check_ins = {
        payload["monitor_slug"]: payload for header, payload in sentry.items if header.get("type") == "check_in"
    }
    jobs = set(settings.CELERY_BEAT_SCHEDULE) - set(settings.SENTRY_EXCLUDE_BEAT_TASKS)
    assert {"reconcile-payments", "release-matured-earnings", "pay-out-instructors"} <= jobs
    assert set(check_ins) == jobs  # every beat job, whichever apps add later (league, renewals ...)
    reconcile = check_ins["reconcile-payments"]
    assert reconcile["status"] == "in_progress"
    assert reconcile["monitor_config"]["schedule"] == {"type": "interval", "value": 15, "unit": "minute"}


def test_the_trace_rate_must_be_a_share():
    with pytest.raises(ImproperlyConfigured, match="between 0 and 1, not 1.5"):
        init_sentry("https://public@127.0.0.1/1", "test", "r1", traces_sample_rate=1.5)
