"""Run a load-test profile against the site as production runs it, on this machine only (127.0.0.1).

    .venv/bin/python loadtest/run.py smoke            # CI: 50 users for 60 s, fails on the thresholds
    .venv/bin/python loadtest/run.py baseline|normal|peak|stress [--run-time 5m]
    .venv/bin/python loadtest/run.py baseline normal peak stress --run-time 3m   # the figures, in turn

Starts the Stripe emulator, migrates and seeds a PostgreSQL database (LOADTEST_DATABASE_URL, default
lyceum_loadtest), then gunicorn (the Procfile's web line, production settings from loadtest/settings.py),
a Celery worker on Redis (LOADTEST_REDIS_URL), and Locust headless with loadtest/locustfile.py. Every
server binds to 127.0.0.1 on a free port picked at random in 20000-29999 and is stopped by its PID when
the run ends, whatever happens; Locust stops by itself after the run time (and a hard timeout backs it).

Thresholds (baseline to peak, and smoke): p95 under 500 ms and under 1% errors over all requests. Stress
reports where it broke and whether the site recovered: after the load stops, the home page, the catalogue
and /readyz must answer 200 within RECOVERY_SECONDS. Locust's HTML report and CSV files, the servers' logs
and a summary.json per profile are kept in loadtest/results/<profiles>-<time>/ (LOADTEST_OUT to choose).
"""

import argparse
import csv
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

# name: (users, spawn rate per second, default run time, enforce the thresholds)
PROFILES = {
    "smoke": (50, 5, "60s", True),
    "baseline": (100, 5, "5m", True),
    "normal": (500, 10, "5m", True),
    "peak": (1000, 20, "5m", True),
    "stress": (5000, 50, "5m", False),
}
P95_LIMIT_MS = 500
ERROR_LIMIT = 0.01
RECOVERY_SECONDS = 60


def free_port() -> int:
    for _ in range(200):
        port = random.randint(20000, 29999)  # noqa: S311 - a port number, not a secret
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-29999")


def wait_for(url: str, seconds: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


class Servers:
    """The processes of one run, stopped by PID (their process groups) in reverse order."""

    def __init__(self, out: Path, env: dict):
        self.out, self.env, self.processes, self.files = out, env, [], []

    def start(self, name: str, command: list[str] | str) -> subprocess.Popen:
        log = open(self.out / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            shell=isinstance(command, str),  # noqa: S602 - the Procfile's own web line, read from the repository
            start_new_session=True,
        )
        self.processes.append((name, process, log))
        return process

    def stop(self) -> None:
        for _name, process, log in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
            log.close()
        self.processes = []
        for path in self.files:
            path.unlink(missing_ok=True)


def manage(env: dict, *args: str, timeout: int = 900) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=timeout)


def ensure_database(url: str, fresh: bool) -> None:
    """Create the database if needed; `fresh` drops it first (its Stripe ids belong to a lost emulator)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # noqa: S608 - our own setting's name
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 - our own setting's database name


def summarise(out: Path, users: int, run_time: str, enforce: bool) -> dict:
    rows = list(csv.DictReader(open(out / "locust_stats.csv")))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    error_rate = failures / requests if requests else 1.0
    p95 = float(total["95%"] or 0)
    worst = sorted(
        (r for r in rows if r["Name"] != "Aggregated" and int(r["Request Count"])),
        key=lambda r: float(r["95%"] or 0),
        reverse=True,
    )[:5]
    summary = {
        "users": users,
        "run_time": run_time,
        "requests": requests,
        "failures": failures,
        "error_rate": round(error_rate, 5),
        "rps": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"] or 0),
        "p95_ms": p95,
        "p99_ms": float(total["99%"] or 0),
        "max_ms": round(float(total["Max Response Time"] or 0)),
        "slowest_p95": [
            {"name": r["Name"], "p95_ms": float(r["95%"] or 0), "requests": int(r["Request Count"])} for r in worst
        ],  # fmt: skip
        "thresholds": {"p95_ms_under": P95_LIMIT_MS, "error_rate_under": ERROR_LIMIT, "enforced": enforce},
        "passed": requests > 0 and p95 < P95_LIMIT_MS and error_rate < ERROR_LIMIT,
    }
    failures_file = out / "locust_failures.csv"
    if failures_file.exists():
        summary["failure_kinds"] = [
            {"name": r["Name"], "error": r["Error"][:200], "occurrences": int(r["Occurrences"])}
            for r in csv.DictReader(open(failures_file))
        ][:10]
    return summary


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU time used so far by each server and its children (gunicorn's and Celery's workers)."""
    used = {}
    for name, pid in pids.items():
        try:
            parent = psutil.Process(pid)
            procs = [parent, *parent.children(recursive=True)]
            used[name] = round(sum(p.cpu_times().user + p.cpu_times().system for p in procs), 1)
        except psutil.Error:
            used[name] = None
    return used


def locust_command(base: str, out: Path, users: int, spawn_rate: int, run_time: str) -> list[str]:
    return [
        str(VENV_BIN / "locust"),
        "-f", "loadtest/locustfile.py",
        "--headless",
        "--host", base,
        "--users", str(users),
        "--spawn-rate", str(spawn_rate),
        "--run-time", run_time,
        "--stop-timeout", "10",
        "--csv", str(out / "locust"),
        "--html", str(out / "report.html"),
        "--only-summary",
        "--reset-stats",  # the figures are for the full number of users, after the ramp-up
        "--exit-code-on-error", "0",
        "--loglevel", "WARNING",
    ]  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profiles", nargs="+", choices=PROFILES, help="one or more, run in turn on the same servers")
    parser.add_argument("--run-time", help="override the profiles' run time (e.g. 90s, 5m)")
    parser.add_argument("--users", type=int, help="override the profile's number of users")
    parser.add_argument("--web-concurrency", default=os.environ.get("WEB_CONCURRENCY", "3"))
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="print the verdict but exit 0 when only the thresholds were missed (a broken run still fails)",
    )
    args = parser.parse_args(argv)

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(os.environ.get("LOADTEST_OUT") or ROOT / "loadtest" / "results" / f"{'-'.join(args.profiles)}-{stamp}")
    out.mkdir(parents=True, exist_ok=True)
    site_port, emulator_port = free_port(), free_port()
    base = f"http://127.0.0.1:{site_port}"
    database_url = os.environ.get("LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lyceum_loadtest")
    metrics_dir = out / "metrics"
    env = server_environment(database_url, site_port, emulator_port, metrics_dir, args.web_concurrency)
    servers = Servers(out, env)
    summaries: list[dict] = []
    # A run stopped from outside (CI's timeout, a cancelled job: SIGTERM) still stops the servers it started.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        emulator, web, worker, accounts_file = start_site(servers, env, base, emulator_port, database_url, metrics_dir)
        pids = {"gunicorn": web.pid, "celery": worker.pid, "emulator": emulator.pid}
        for name in args.profiles:
            users, spawn_rate, run_time, enforce = PROFILES[name]
            users, run_time = args.users or users, args.run_time or run_time
            profile_out = out / name
            profile_out.mkdir(exist_ok=True)
            print(f"== {name}: {users} users, {run_time}; results in {profile_out}", flush=True)
            summary = {"profile": name, "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                       "machine": machine()}  # fmt: skip
            cpu_before, machine_before = cpu_seconds(pids), psutil.cpu_times()
            locust = subprocess.run(
                locust_command(base, profile_out, users, spawn_rate, run_time),
                cwd=ROOT,
                env={**env, "LOADTEST_ACCOUNTS_FILE": str(accounts_file)},
                timeout=_seconds(run_time) + 600,
            )
            cpu_after, machine_after = cpu_seconds(pids), psutil.cpu_times()
            summary.update(summarise(profile_out, users, run_time, enforce))
            summary["locust_exit"] = locust.returncode
            summary["cpu_seconds_during_run"] = {
                k: round(cpu_after[k] - cpu_before[k], 1) for k in cpu_after
                if cpu_after[k] is not None and cpu_before.get(k) is not None
            }  # fmt: skip
            busy = sum(machine_after) - machine_after.idle - (sum(machine_before) - machine_before.idle)
            total = sum(machine_after) - sum(machine_before)
            summary["machine_busy_during_run"] = round(busy / total, 3) if total else None
            summary["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
            summary["recovered_in_seconds"] = recovery(base)
            if summary["recovered_in_seconds"] is None:
                summary["passed"] = False
            (profile_out / "summary.json").write_text(json.dumps(summary, indent=2))
            report(summary)
            summaries.append(summary)
    finally:
        servers.stop()
        shutil.rmtree(metrics_dir, ignore_errors=True)
    failed = [
        s["profile"]
        for s in summaries
        if (s["thresholds"]["enforced"] and not s["passed"]) or s["recovered_in_seconds"] is None
    ]
    if len(summaries) < len(args.profiles):
        print("FAILED: a profile did not run")
        return 1
    if failed:
        print(f"FAILED: {', '.join(failed)}" + (" (report only: not failing the run)" if args.report_only else ""))
        return 0 if args.report_only else 1
    return 0


def report(summary: dict) -> None:
    print(json.dumps({k: v for k, v in summary.items() if k not in ("slowest_p95", "failure_kinds")}, indent=2))
    for row in summary.get("slowest_p95", []):
        print(f"  slowest p95: {row['p95_ms']:>7.0f} ms  {row['name']} ({row['requests']} requests)")
    for row in summary.get("failure_kinds", []):
        print(f"  failures: {row['occurrences']:>5}  {row['name']}: {row['error']}")
    if summary["thresholds"]["enforced"]:
        verdict = "PASSED" if summary.get("passed") else "FAILED"
        print(f"{summary['profile']} {verdict}: p95 {summary.get('p95_ms')} ms (limit {P95_LIMIT_MS}), "
              f"errors {summary.get('error_rate', 1):.2%} (limit {ERROR_LIMIT:.0%})", flush=True)  # fmt: skip
    else:
        print(f"{summary['profile']}: recovered in {summary['recovered_in_seconds']} s after the load stopped")


def server_environment(
    database_url: str, site_port: int, emulator_port: int, metrics_dir: Path, web_concurrency
) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SENTRY_DSN")},
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "loadtest.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/13"),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALTCHA_HMAC_KEY": secrets.token_urlsafe(32),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": "https://lyceum.loadtest.invalid",
        "STRIPE_SECRET_KEY": "sk_test_LyceumLoadTestKey000000000000",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_LyceumLoadTestKey000000000000",
        "STRIPE_API_BASE": f"http://127.0.0.1:{emulator_port}",
        "STRIPE_LIVE_MODE": "false",
        "EMAIL_URL": "consolemail://",
        "PROXY_COUNT": "1",  # Locust plays the proxy: each simulated person has their own address
        "PORT": str(site_port),
        "GUNICORN_BIND": f"127.0.0.1:{site_port}",
        "WEB_CONCURRENCY": str(web_concurrency),
        "METRICS_DIR": str(metrics_dir),
        "CELERY_CONCURRENCY": "1",
        "LOG_LEVEL": "WARNING",
        # The server checks one hash whatever this is; it only sets how long a browser works on the puzzle,
        # work the load generator would otherwise do on the CPU it shares with the site it measures.
        "ALTCHA_MAX_NUMBER": "1000",
    }


def start_site(servers: Servers, env: dict, base: str, emulator_port: int, database_url: str, metrics_dir: Path):
    # The emulator keeps its objects beside the database's (their Stripe ids must agree from run to run).
    state = ROOT / "loadtest" / "results" / f".emulator-{database_url.rsplit('/', 1)[1]}.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    fresh = not state.exists()
    emulator = servers.start(
        "emulator",
        [sys.executable, "-m", "stripe_emulator", "--host", "127.0.0.1", "--port", str(emulator_port),
         "--state-file", str(state)],
    )  # fmt: skip
    wait_for(f"http://127.0.0.1:{emulator_port}/_emulator/health", 30, emulator)
    ensure_database(database_url, fresh)
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "setup_stripe_webhook", "--base-url", base)
    manage(env, "sync_stripe_catalog")
    manage(env, "seed_demo")
    # Raw API keys: kept out of the results folder, removed with the run (Servers.stop).
    accounts_file = Path(tempfile.mkstemp(prefix="lyceum-loadtest-accounts-", suffix=".json")[1])
    servers.files.append(accounts_file)
    subprocess.run([sys.executable, "loadtest/seed.py", str(accounts_file)], cwd=ROOT, env=env, check=True, timeout=600)
    web_line = next(line.split(":", 1)[1].strip() for line in (ROOT / "Procfile").read_text().splitlines()
                    if line.startswith("web:"))  # fmt: skip
    metrics_dir.mkdir(exist_ok=True)
    web = servers.start("gunicorn", f"exec {web_line}")
    worker = servers.start(
        "celery", [str(VENV_BIN / "celery"), "-A", "config", "worker", "--loglevel", "WARNING", "--concurrency", "1"]
    )
    wait_for(f"{base}/healthz", 60, web)
    return emulator, web, worker, accounts_file


def recovery(base: str) -> float | None:
    """Seconds until the site answers normally again after the load stopped (None: not within the limit)."""
    start = time.monotonic()
    while time.monotonic() - start < RECOVERY_SECONDS:
        try:
            for path in ("/readyz", "/", "/courses/"):
                request = urllib.request.Request(base + path, headers={"X-Forwarded-For": "198.19.255.253"})
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status != 200:
                        raise OSError(response.status)
            return round(time.monotonic() - start, 1)
        except OSError:
            time.sleep(1)
    return None


def _seconds(run_time: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return int(run_time[:-1]) * units[run_time[-1]] if run_time[-1] in units else int(run_time)


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


if __name__ == "__main__":
    sys.exit(main())
