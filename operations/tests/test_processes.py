"""The metrics of real processes: two gunicorn workers aggregated in multiprocess mode, Debian's
Prometheus scraping the running site on loopback, and the Celery worker's and beat's exporters (with
the all-GO launch check while they run)."""

import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import yaml
from django.conf import settings
from prometheus_client.multiprocess import MultiProcessCollector

from operations.tests.conftest import METRICS_TOKEN, parse, value
from operations.tests.processes import (
    base_env,
    free_port,
    gunicorn,
    need_binary,
    need_shared_database,
    running,
    scrape,
    wait_for,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
HEALTHZ = "django_http_requests_total_by_view_transport_method_total"
HEALTHZ_LABELS = {"view": "healthz", "transport": "http", "method": "GET"}


def healthz_counts_by_process(directory: Path) -> dict[int, float]:
    """Each gunicorn worker's own count of /healthz requests, read from its file in the shared directory."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.split("_")[1])
        for metric in MultiProcessCollector.merge([str(path)], accumulate=True):
            for sample in metric.samples:
                if sample.name == HEALTHZ and sample.labels == HEALTHZ_LABELS:
                    counts[pid] = sample.value
    return counts


def test_two_gunicorn_workers_report_one_sum(tmp_path):
    need_shared_database()
    port, command, env = gunicorn(tmp_path, workers=2)
    base = f"http://127.0.0.1:{port}"
    with running(command, env, tmp_path / "gunicorn.log"):
        # Start-up probes go to another page: one a slow machine timed out on may still be served later.
        wait_for(lambda: requests.get(f"{base}/favicon.ico", allow_redirects=False, timeout=5).status_code == 302,
                 90, "gunicorn", tmp_path / "gunicorn.log")  # fmt: skip
        directory = tmp_path / "web-metrics"
        sent = 0
        for _ in range(10):  # until both workers have served some (the kernel picks who accepts)
            with ThreadPoolExecutor(8) as pool:
                statuses = list(pool.map(lambda _: requests.get(f"{base}/healthz", timeout=30).status_code, range(40)))
            assert statuses == [200] * 40
            sent += 40
            if len([n for n in healthz_counts_by_process(directory).values() if n]) == 2:
                break
        per_worker = healthz_counts_by_process(directory)
        assert len(per_worker) == 2 and all(per_worker.values()), per_worker
        assert sum(per_worker.values()) == sent

        # Whichever worker answers the scrape, it reports every worker's requests.
        for _ in range(6):
            samples = parse(scrape(f"{base}/metrics").text)
            assert value(samples, HEALTHZ, **HEALTHZ_LABELS) == sent
        assert value(samples, "lyceum_metrics_collector_up", collector="billing") == 1
        assert scrape(f"{base}/metrics", token="wrong").status_code == 401

        # A worker dies and gunicorn replaces it: what it counted stays in the sum.
        victim = max(per_worker)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: requests.get(f"{base}/favicon.ico", allow_redirects=False, timeout=10).status_code == 302,
                 60, "a replacement worker")  # fmt: skip
        samples = parse(scrape(f"{base}/metrics").text)
        assert value(samples, HEALTHZ, **HEALTHZ_LABELS) == sent


def _prometheus_config(tmp: Path, site_port: int) -> Path:
    token = tmp / "token"
    token.write_text(METRICS_TOKEN)
    rules = sorted(str(path) for path in (Path(settings.BASE_DIR) / "ops" / "prometheus" / "rules").glob("*.yml"))
    target = {"targets": [f"127.0.0.1:{site_port}"]}
    config = {
        "global": {"scrape_interval": "3s", "scrape_timeout": "3s", "evaluation_interval": "3s"},
        "rule_files": rules,
        "scrape_configs": [
            {"job_name": "lyceum-web", "authorization": {"credentials_file": str(token)}, "static_configs": [target]},
            {"job_name": "without-token", "static_configs": [target]},
        ],
    }
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_debians_prometheus_scrapes_the_running_site(tmp_path):
    need_shared_database()
    binary = need_binary("prometheus")
    site_port, command, env = gunicorn(tmp_path, workers=2)
    prometheus_port = free_port()
    api = f"http://127.0.0.1:{prometheus_port}/api/v1"
    prometheus = [
        binary, f"--config.file={_prometheus_config(tmp_path, site_port)}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prometheus_port}",
    ]  # fmt: skip

    def query(expr: str) -> dict:
        result = requests.get(f"{api}/query", params={"query": expr}, timeout=10).json()["data"]["result"]
        return {
            tuple(sorted((k, v) for k, v in r["metric"].items() if k != "__name__")): float(r["value"][1])
            for r in result
        }

    with running(command, env, tmp_path / "gunicorn.log"), running(prometheus, {}, tmp_path / "prometheus.log"):
        site = f"http://127.0.0.1:{site_port}"
        wait_for(lambda: requests.get(f"{site}/healthz", timeout=5).ok, 90, "gunicorn", tmp_path / "gunicorn.log")
        for _ in range(5):
            requests.get(f"{site}/healthz", timeout=10)
        log = tmp_path / "prometheus.log"
        wait_for(
            lambda: requests.get(f"http://127.0.0.1:{prometheus_port}/-/ready", timeout=5).ok, 60, "Prometheus", log
        )
        wait_for(lambda: query('up{job="lyceum-web"} == 1'), 60, "a successful scrape of the site", log)
        # Each job scrapes at its own offset within the interval: wait until the token-less job has tried too.
        wait_for(lambda: query('up{job="without-token"}'), 60, "an attempted scrape without the token", log)
        up = query("up")
        assert up == {(("instance", f"127.0.0.1:{site_port}"), ("job", "lyceum-web")): 1.0,
                      (("instance", f"127.0.0.1:{site_port}"), ("job", "without-token")): 0.0}  # fmt: skip
        targets = requests.get(f"{api}/targets", timeout=10).json()["data"]["activeTargets"]
        refused = next(t for t in targets if t["labels"]["job"] == "without-token")
        assert "401" in refused["lastError"]

        # The site's own metrics, django-prometheus's, and the scrape-time gauges, as Prometheus stored them.
        readiness = wait_for(lambda: query('lyceum_readiness{check="database"}'), 30, "lyceum_readiness", log)
        assert list(readiness.values()) == [1.0]
        assert query('lyceum_metrics_collector_up{collector="billing"}') and all(
            v == 1.0 for v in query("lyceum_metrics_collector_up").values()
        )
        # Every request the site served, whichever worker served it, once a scrape after them is stored.
        healthz = 'sum(django_http_requests_total_by_view_transport_method_total{view="healthz",job="lyceum-web"})'
        wait_for(lambda: sum(query(healthz).values()) >= 6, 60, "a scrape counting the six requests", log)
        assert query('lyceum_stripe_webhook_oldest_unprocessed_age_seconds{job="lyceum-web"}')
        assert query("lyceum_login_failures_total")
        # Our rule files load and evaluate against the scraped data.
        groups = requests.get(f"{api}/rules", timeout=10).json()["data"]["groups"]
        alert_names = {rule["name"] for group in groups for rule in group["rules"] if rule["type"] == "alerting"}
        assert {"LyceumWebhookBacklog", "LyceumErrorBudgetBurnFast", "LyceumReadyzFailing"} <= alert_names
        assert all(group.get("lastError", "") == "" for group in groups)
        assert all(rule.get("health") != "err" for group in groups for rule in group["rules"])


# The Celery worker and beat ---------------------------------------------------------------------


@pytest.fixture
def celery_processes(tmp_path):
    """A prefork worker (two pool processes) and beat on a queue of their own, each with its exporter."""
    need_shared_database()
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a Redis broker (REDIS_URL)")
    import uuid

    queue = f"operations-test-{uuid.uuid4().hex[:8]}"
    worker_port, beat_port = free_port(), free_port()
    common = {"DJANGO_SETTINGS_MODULE": "operations.tests.worker_settings", "OPERATIONS_TEST_QUEUE": queue}
    worker_env = base_env(**common, METRICS_EXPORTER_PORT=worker_port, PROMETHEUS_MULTIPROC_DIR=tmp_path / "worker")
    beat_env = base_env(**common, METRICS_EXPORTER_PORT=beat_port)
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    worker = celery + ["worker", "--pool=prefork", "--concurrency=2", "-Q", queue, "--without-gossip",
                       "--without-mingle", "-l", "info"]  # fmt: skip
    beat = celery + ["beat", "-s", str(tmp_path / "beat-schedule"), "--pidfile=", "-l", "info"]
    with running(worker, worker_env, tmp_path / "worker.log"), running(beat, beat_env, tmp_path / "beat.log"):
        yield {"queue": queue, "worker": f"http://127.0.0.1:{worker_port}/metrics",
               "beat": f"http://127.0.0.1:{beat_port}/metrics", "tmp": tmp_path}  # fmt: skip
    from config.celery import app

    with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
        conn.default_channel.queue_purge(queue)


def test_worker_and_beat_export_their_metrics(celery_processes):
    from celery import current_app

    from operations import tasks

    tmp = celery_processes["tmp"]
    # Beat sends the heartbeat as it starts; the worker runs it.
    name = "operations.tasks.heartbeat"

    def published():
        beat = parse(scrape(celery_processes["beat"]).text)
        return value(beat, "lyceum_celery_tasks_published_total", task=name) >= 1

    wait_for(published, 90, "beat to send the heartbeat", tmp / "beat.log")
    assert scrape(celery_processes["beat"], token="wrong").status_code == 401

    previous = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    try:
        for _ in range(6):
            tasks.heartbeat.apply_async(queue=celery_processes["queue"])
    finally:
        current_app.conf.task_always_eager = previous

    def ran_all():
        samples = parse(scrape(celery_processes["worker"]).text)
        return samples if value(samples, "lyceum_celery_tasks_total", task=name, state="succeeded") >= 7 else None

    samples = wait_for(ran_all, 90, "the worker to run the seven heartbeats", tmp / "worker.log")
    assert value(samples, "lyceum_celery_task_duration_seconds_count", task=name) >= 7
    # The pool processes' files are summed by the exporter in the parent process.
    per_process = {}
    for path in (tmp / "worker").glob("counter_*.db"):
        for metric in MultiProcessCollector.merge([str(path)], accumulate=True):
            for sample in metric.samples:
                if sample.name == "lyceum_celery_tasks_total" and sample.labels.get("task") == name:
                    per_process[path.name] = sample.value
    assert sum(per_process.values()) == value(samples, "lyceum_celery_tasks_total", task=name, state="succeeded")
    assert scrape(celery_processes["worker"], token="").status_code == 401


@pytest.mark.django_db(transaction=True)  # its rehearsal writes from another thread: flushed afterwards
def test_launch_check_is_go_when_everything_is(celery_processes, monkeypatch):
    """Every item GO at once: production settings, a live-mode Stripe (the emulator accepting live keys, for
    this rehearsal only) with the webhook endpoint registered, a real SMTP server, a worker and beat running,
    recent backups, drill and audit, no staff account lacking MFA."""
    import concurrent.futures
    import io
    import json
    import secrets

    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django.db import connections
    from django.test import override_settings

    from billing import gateway
    from operations import launch
    from operations.interface import record_check
    from stripe_emulator.testing import start_emulator

    secret_key = secrets.token_urlsafe(60)
    live_secret, live_publishable = "sk_live_LyceumLaunchRehearsal0001", "pk_live_LyceumLaunchRehearsal0001"
    environment = {
        "SECRET_KEY": secret_key, "ALLOWED_HOSTS": "lyceum.example", "DATABASE_URL": "postgres://db/lyceum",
        "REDIS_URL": settings.REDIS_URL or "redis://cache/0", "SITE_URL": "https://lyceum.example", "ALTCHA_HMAC_KEY": secrets.token_hex(24),
        "STRIPE_SECRET_KEY": live_secret, "STRIPE_PUBLISHABLE_KEY": live_publishable, "STRIPE_LIVE_MODE": "true",
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
    }  # fmt: skip
    for name, env_value in environment.items():
        monkeypatch.setenv(name, env_value)
    # DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it for the whole test process; a deployment has not.
    for name in ("STRIPE_API_BASE", "DEBUG", "METRICS_BEARER_TOKEN", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        monkeypatch.delenv(name, raising=False)

    received = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    smtp = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    emulator = start_emulator(accept_live_keys=True)
    production = {
        "DEBUG": False, "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": ["lyceum.example"], "SITE_URL": "https://lyceum.example", "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "CELERY_TASK_ALWAYS_EAGER": False,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": smtp.port, "EMAIL_USE_TLS": False, "LAUNCH_CHECK_EMAIL_TO": "ops@lyceum.example",
        "METRICS_BEARER_TOKEN": "", "STRIPE_LIVE_MODE": True, "STRIPE_SECRET_KEY": live_secret,
        "STRIPE_PUBLISHABLE_KEY": live_publishable, "STRIPE_API_BASE": emulator.url,
    }  # fmt: skip

    def rehearse():
        """In a thread of its own, as `manage.py launch_check` runs in a process of its own: the browser tests
        leave an event loop running in this thread, where Django refuses database calls unless
        DJANGO_ALLOW_ASYNC_UNSAFE is set, and a deployment with that variable set is rightly NO-GO."""
        try:
            gateway.configure()
            call_command("setup_stripe_webhook", base_url="https://lyceum.example", stdout=io.StringIO())
            for kind in ("backup", "restore_drill", "dependency_audit"):
                record_check(kind, passed=True, summary=f"{kind} fine")
            wait_for(
                lambda: launch.celery_beat_alive().ok, 90, "beat's heartbeat", celery_processes["tmp"] / "worker.log"
            )

            out = io.StringIO()
            try:
                call_command("launch_check", "--json", stdout=out)  # exit status 0: no SystemExit
            except SystemExit:
                pytest.fail("NO-GO: " + json.dumps([i for i in json.loads(out.getvalue())["items"] if not i["go"]]))
            report = json.loads(out.getvalue())
            assert [item for item in report["items"] if not item["go"]] == []
            assert report["go"] is True
            assert len(report["items"]) >= 16
            assert [envelope.rcpt_tos for envelope in received] == [["ops@lyceum.example"]]
        finally:
            connections.close_all()

    try:
        with override_settings(**production):
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(rehearse).result()
    finally:
        gateway.configure()  # back to the settings' emulator and test key
        smtp.stop()
        emulator.stop()
