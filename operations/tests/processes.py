"""Real processes for the operations tests: gunicorn, a Celery worker and beat, Prometheus. Each binds
127.0.0.1 on a free port, logs to a file, and is stopped (terminate, then kill) by the test."""

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings

from operations.tests.conftest import METRICS_TOKEN

REQUIRED = os.environ.get("E2E_REQUIRED") == "1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (requests.RequestException, OSError):
            value = None
        if value:
            return value
        time.sleep(0.3)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def need_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian: apt-get install prometheus prometheus-alertmanager)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    return path


def need_shared_database():
    """The processes must see the test's database: PostgreSQL (SQLite's test database is in memory)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the processes share the test database")


def database_url() -> str:
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def base_env(**extra) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "METRICS_BEARER_TOKEN": METRICS_TOKEN,
        # TEST-NET-1: nobody is in it, so only the token lets a scraper in.
        "METRICS_ALLOWED_NETWORKS": "192.0.2.0/24",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update({key: str(value) for key, value in extra.items()})
    return env


@contextmanager
def running(command: list[str], env: dict, log: Path):
    handle = open(log, "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        handle.close()


def gunicorn(tmp: Path, *, workers: int = 2):
    port = free_port()
    env = base_env(PROMETHEUS_MULTIPROC_DIR=tmp / "web-metrics")
    command = [
        sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--timeout", "60", "config.wsgi:application",
    ]  # fmt: skip
    return port, command, env


def scrape(url: str, token: str = METRICS_TOKEN) -> requests.Response:
    return requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
