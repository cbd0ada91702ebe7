#!/usr/bin/env python3
"""Lyceum as production runs it, on this machine's loopback: HAProxy (Debian's) in front of two gunicorn
instances, two Celery workers and one beat, sharing one PostgreSQL database and two Redis servers (the
evicting cache, and the non-evicting persistent broker that also holds the state cache), with the Stripe
emulator as Stripe. Every port is picked free at start; everything stops by itself after --for seconds.

    .venv/bin/python ops/local-cluster/cluster.py --database-url postgres://postgres@127.0.0.1:5432/lyceum_x

prints the load balancer's address and runs until Ctrl-C (or --for seconds). The database must be
migrated. ops/tests/test_local_cluster.py drives journeys through it and kills instances mid-load.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))

from ops.net import free_port  # noqa: E402

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group: gunicorn's or Celery's master and all of its children."""
        if self.alive:
            os.killpg(self.popen.pid, sig)

    def stop(self, grace: float = 10) -> None:
        if not self.alive:
            return
        self.kill(signal.SIGTERM)
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.popen.wait(5)


@dataclass
class LocalCluster:
    database_url: str
    lifetime: int = 900  # seconds; every process is started under `timeout`, so nothing outlives it
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lyceum-cluster-")))
    # One SECRET_KEY for every instance: a session signed by one is valid on the other.
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    altcha_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    processes: dict[str, Process] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['lb']}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['emulator']}"

    def environment(self) -> dict[str, str]:
        cache = f"redis://127.0.0.1:{self.ports['redis_cache']}/0"
        broker = f"redis://127.0.0.1:{self.ports['redis_broker']}"
        keep = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "TZ"}}
        return keep | {
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DEBUG": "false",
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": cache,
            "REDIS_CACHE_URL": cache,
            "CELERY_BROKER_URL": f"{broker}/0",
            "REDIS_STATE_URL": f"{broker}/1",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            # A killed worker's unacknowledged task goes to the other worker after this long.
            "CELERY_VISIBILITY_TIMEOUT": "15",
            "STRIPE_API_BASE": self.emulator_url,
            "SITE_URL": self.url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PROXY_COUNT": "1",
            "ALTCHA_HMAC_KEY": self.altcha_key,
            "ALTCHA_MAX_NUMBER": "1000",
            "API_ANON_RATE": "off",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }

    def spawn(self, name: str, command: list[str], **kwargs) -> Process:
        log = self.work / f"{name}.log"
        handle = open(log, "wb")  # noqa: SIM115 - the child keeps it
        popen = subprocess.Popen(
            ["timeout", "-s", "KILL", str(self.lifetime), *command],
            cwd=BASE_DIR,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kwargs,
        )
        handle.close()
        process = Process(name, popen, log)
        self.processes[name] = process
        return process

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start(self) -> LocalCluster:
        for name in ("lb", "web1", "web2", "emulator", "redis_cache", "redis_broker"):
            self.ports[name] = free_port()
        self.spawn(
            "redis_cache",
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.ports["redis_cache"]), "--save", "",
             "--appendonly", "no", "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru",
             "--dir", str(self.work)],
        )  # fmt: skip
        self.spawn(
            "redis_broker",
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.ports["redis_broker"]),
             "--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory", "128mb",
             "--maxmemory-policy", "noeviction", "--dir", str(self.work), "--appendfilename", "broker.aof"],
        )  # fmt: skip
        self.spawn(
            "emulator",
            [PYTHON, "-m", "stripe_emulator", "--host", "127.0.0.1", "--port", str(self.ports["emulator"]),
             "--webhook-max-attempts", "8"],
        )  # fmt: skip
        wait_for(f"{self.emulator_url}/_emulator/health", 60)
        from stripe_emulator.control import EmulatorControl

        EmulatorControl(self.emulator_url).configure(webhook_retry_base=0.5, webhook_max_attempts=8)
        wait_for_redis(self.ports["redis_cache"])
        wait_for_redis(self.ports["redis_broker"])
        # Stripe sends webhooks to the load balancer, which hands them to either instance.
        self.manage("setup_stripe_webhook", "--base-url", self.url)
        env = self.environment()
        for web in ("web1", "web2"):
            self.spawn(
                web,
                [PYTHON, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{self.ports[web]}",
                 "--workers", "2", "--timeout", "30", "--graceful-timeout", "5", "--access-logfile", "-",
                 "--access-logformat", '%(h)s "%(r)s" %(s)s %(L)ss drill=%({x-drill-id}i)s'],
                env=env,
            )  # fmt: skip
        for worker in ("worker1", "worker2"):
            self.spawn(
                worker,
                [PYTHON, "-m", "celery", "-A", "config", "worker", "-n", f"{worker}@%h", "--concurrency", "2",
                 "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
                env=env,
            )  # fmt: skip
        self.spawn(
            "beat",
            [PYTHON, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
             "--schedule", str(self.work / "celerybeat-schedule"), "--pidfile", str(self.work / "beat.pid")],
            env=env,
        )  # fmt: skip
        config = (
            (HERE / "haproxy.cfg.template")
            .read_text()
            .format(lb_port=self.ports["lb"], web1_port=self.ports["web1"], web2_port=self.ports["web2"])
        )
        (self.work / "haproxy.cfg").write_text(config)
        subprocess.run(["haproxy", "-c", "-q", "-f", str(self.work / "haproxy.cfg")], check=True, timeout=30)
        self.spawn("haproxy", ["haproxy", "-db", "-f", str(self.work / "haproxy.cfg")])
        for web in ("web1", "web2"):
            wait_for(f"{self.url}/readyz", 120, headers={"X-Pin-Server": web}, served_by=web)
        self.wait_for_workers(("worker1", "worker2"), 120)
        return self

    def wait_for_workers(self, names, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            logs = {name: self.processes[name].log.read_text(errors="replace") for name in names}
            if all(" ready." in text for text in logs.values()):
                return
            time.sleep(0.5)
        raise RuntimeError(f"Celery workers not ready in {timeout}s")

    def stop(self, keep_logs: bool = False) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()
        if not keep_logs:
            shutil.rmtree(self.work, ignore_errors=True)

    def log(self, name: str) -> str:
        return self.processes[name].log.read_text(errors="replace")


def wait_for(url: str, timeout: float, headers: dict | None = None, served_by: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            response = requests.get(url, headers=headers, timeout=3)
            if response.status_code == 200 and (served_by is None or response.headers.get("X-Served-By") == served_by):
                return
            last = f"{response.status_code} from {response.headers.get('X-Served-By')}"
        except requests.RequestException as exc:
            last = str(exc)
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready in {timeout}s: {last}")


def wait_for_redis(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"redis on {port} did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--for", dest="seconds", type=int, default=900, help="stop after this many seconds")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url (or DATABASE_URL) must name a migrated PostgreSQL database")
    cluster = LocalCluster(args.database_url, lifetime=args.seconds)
    try:
        cluster.start()
        print(f"Lyceum behind HAProxy: {cluster.url}   Stripe emulator: {cluster.emulator_url}")
        print(f"logs in {cluster.work}; stopping in {args.seconds} s (Ctrl-C to stop now)")
        time.sleep(args.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop(keep_logs=True)
        print(f"logs kept in {cluster.work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
