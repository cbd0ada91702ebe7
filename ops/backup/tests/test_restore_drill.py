"""The whole restore drill on this machine, with real PostgreSQL clusters and pgBackRest: a source cluster
archiving WAL on a spare port, data loaded, a full and a differential backup, more writes, a noted time,
more writes; then ops/backup/restore_drill.py restores to that time into a fresh cluster. Exactly the data
up to the noted time is there, the ledgers verify, and the result is recorded for launch_check."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings

from operations.interface import latest_check
from ops.net import free_port

BASE_DIR = Path(settings.BASE_DIR)
PRODUCTION_CONF = BASE_DIR / "ops" / "backup" / "pgbackrest.conf"
PG_VERSION = "15"
STANZA = "drill"

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _requirements() -> str | None:
    if os.geteuid() != 0:
        return "runs as root (pg_createcluster, runuser)"
    for tool in ("pgbackrest", "pg_createcluster", "pg_ctlcluster", "runuser"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    if not Path(f"/usr/lib/postgresql/{PG_VERSION}/bin/postgres").exists():
        return f"PostgreSQL {PG_VERSION} is not installed"
    return None


@pytest.fixture(autouse=True)
def _tools():
    missing = _requirements()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the restore drill cannot run in CI: {missing}")
        pytest.skip(missing)


def sh(*command: str, user: str | None = None, env: dict | None = None, timeout: int = 300) -> str:
    if user:
        command = ("runuser", "-u", user, "--", *command)
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def drill_config(work: Path, data: Path, port: int) -> Path:
    """The production configuration's retention, encryption and compression, with a local repository."""
    production = [line for line in PRODUCTION_CONF.read_text().splitlines() if line and not line.startswith("#")]
    keep = ("repo1-cipher-type", "repo1-retention-", "repo1-bundle", "compress-type", "start-fast", "delta")
    lines = ["[global]", *[line for line in production if line.startswith(keep)]]
    lines += [
        f"repo1-path={work / 'repo'}",
        "repo1-cipher-pass=drill-passphrase-not-for-production",
        f"lock-path={work / 'lock'}",
        f"log-path={work / 'log'}",
        f"spool-path={work / 'spool'}",
        "log-level-console=warn",
        "log-level-file=info",
        "",
        f"[{STANZA}]",
        f"pg1-path={data}",
        f"pg1-port={port}",
        "pg1-socket-path=/var/run/postgresql",
    ]
    config = work / "pgbackrest.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


def test_the_restore_drill_restores_exactly_to_the_chosen_time():
    work = Path(tempfile.mkdtemp(prefix="lyceum-drill-"))
    for sub in ("repo", "lock", "log", "spool"):
        (work / sub).mkdir()
    sh("chown", "-R", "postgres:postgres", str(work))
    source = f"drillsrc_{os.getpid()}"
    port = free_port()
    data = Path(f"/var/lib/postgresql/{PG_VERSION}/{source}")
    config = drill_config(work, data, port)
    sh("chown", "postgres:postgres", str(config))
    pgbackrest = ("pgbackrest", f"--config={config}", f"--stanza={STANZA}")
    result_file = work / "drill.json"
    drill_cluster = None
    timings = {}
    try:
        began = time.monotonic()
        sh(
            "pg_createcluster", "--start-conf=manual", "-p", str(port),
            "-o", "wal_level=replica", "-o", "archive_mode=on", "-o", "archive_timeout=60",
            "-o", f"archive_command={' '.join(pgbackrest)} archive-push %p",
            PG_VERSION, source, "--", "--auth-host=trust", "--auth-local=peer",
        )  # fmt: skip
        sh("pg_ctlcluster", PG_VERSION, source, "start")
        with psycopg.connect(f"postgres://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE lyceum_drill")
        source_url = f"postgres://postgres@127.0.0.1:{port}/lyceum_drill"
        env = {**os.environ, "DATABASE_URL": source_url, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
        env.pop("REDIS_URL", None)
        # The schema of the migrated test database (faster than migrating again on a busy machine).
        db = settings.DATABASES["default"]
        schema = sh(
            "pg_dump", "--schema-only", "--no-owner", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432),
            "-U", db["USER"], db["NAME"], env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
        )  # fmt: skip
        loaded = subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", source_url],
            input=schema, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        timings["source_ready"] = time.monotonic() - began

        def write(label: str, count: int) -> None:
            sh(sys.executable, "ops/backup/tests/drill_data.py", label, str(count), env=env)

        write("A", 3)
        sh(*pgbackrest, "stanza-create", user="postgres")
        sh(*pgbackrest, "--type=full", "backup", user="postgres")
        write("B", 2)
        sh(*pgbackrest, "--type=diff", "backup", user="postgres")
        write("C", 2)
        time.sleep(1.2)
        with psycopg.connect(source_url) as conn:
            target = conn.execute("SELECT now()").fetchone()[0]
        time.sleep(1.2)
        write("D", 2)
        sh(*pgbackrest, "check", user="postgres")  # switches WAL and waits until it is archived
        timings["source_with_backups"] = time.monotonic() - began

        # The drill records its result in the site's database: here, the test database.
        credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
        site_url = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        drill_env = {**os.environ, "DATABASE_URL": site_url}
        drill_env.pop("DJANGO_SETTINGS_MODULE", None)
        completed = subprocess.run(
            [
                sys.executable, "ops/backup/restore_drill.py", "--stanza", STANZA, "--config", str(config),
                "--source-url", source_url, "--target-time", target.isoformat(), "--pg-version", PG_VERSION,
                "--keep", "--json-out", str(result_file),
            ],
            cwd=BASE_DIR, env=drill_env, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        assert result_file.exists(), completed.stdout[-3000:] + completed.stderr[-3000:]
        result = json.loads(result_file.read_text())
        drill_cluster = result["cluster"]
        assert completed.returncode == 0, json.dumps(result, indent=2)[-4000:] + completed.stderr[-2000:]
        assert result["passed"] and result["problems"] == []

        # Exactly the rows up to the noted time: batches A, B (after the full backup, in the differential)
        # and C (only in archived WAL) are there, D (after the time) is not.
        with psycopg.connect(result["url"]) as restored, psycopg.connect(source_url) as live:
            restored_payments = restored.execute("SELECT id, description FROM billing_payment ORDER BY id").fetchall()
            live_until_target = live.execute(
                "SELECT id, description FROM billing_payment WHERE created_at <= %s ORDER BY id", (target,)
            ).fetchall()
            assert restored_payments == live_until_target
            assert {description.split()[1] for _, description in restored_payments} == {"A", "B", "C"}
            assert live.execute("SELECT count(*) FROM billing_payment").fetchone()[0] == 9
            for table in ("marketplace_sale", "marketplace_earningsentry"):
                assert restored.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 7  # noqa: S608
            assert restored.execute("SELECT pg_is_in_recovery()").fetchone()[0] is False

        figures = result["money_tables"]
        assert figures["restored"] == figures["source_at_target"]
        assert figures["restored"]["billing_payment"] == {"rows": 7, "amount": 3 * 1000 + 300 + 2 * 1000 + 100 + 2100}
        assert set(result["verification"]) == {"verify_earnings"} or "verify_ledgers" in result["verification"]
        assert "FAILED" not in result["verification"].values()

        check = latest_check("restore_drill")
        assert check is not None and check.passed
        assert check.details["target_time"] == target.isoformat()
        assert check.details["timings"]["total"] > 0
        timings["drill"] = result["timings"]
        print(json.dumps({"timings": timings}, default=str))
    finally:
        for cluster in filter(None, (drill_cluster, source)):
            subprocess.run(["pg_dropcluster", "--stop", PG_VERSION, cluster], capture_output=True, timeout=120)
        shutil.rmtree(work, ignore_errors=True)
