#!/usr/bin/env python3
"""Restore drill: prove the backups restore to a point in time, and that the restored money adds up.

    restore_drill.py --stanza lyceum --source-url postgres://...@db:5432/lyceum [--target-time ISO]
                     [--config /etc/pgbackrest/pgbackrest.conf] [--pg-version 15] [--keep] [--no-record]

1. creates a fresh PostgreSQL cluster (Debian's pg_createcluster) on a free loopback port;
2. restores the stanza into it with pgBackRest to --target-time (default: 5 minutes ago; pgBackRest picks
   the newest backup that ended before it and replays archived WAL up to it), and starts it;
3. runs the ledger verification against it (`manage.py verify_ledgers` when it exists, otherwise every
   `verify_*` command, e.g. verify_earnings);
4. compares the money tables with the source at that time: the restore must hold exactly the source's rows
   created up to the target time (count and sum of amounts), and none after it. Money rows are never
   deleted (ledgers are append-only), so "created up to T" on the source is what existed at T;
5. records the result (operations' record_check "restore_drill", in the site's DATABASE_URL), prints it
   as JSON, drops the drill cluster (unless --keep), and exits 0 only when every check passed.

Runs as root (pg_createcluster); pgBackRest runs as postgres. The drill cluster trusts loopback
connections for the few minutes it lives, and archives nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ops.backup.common import MANAGE, now, record, run  # noqa: E402
from ops.net import free_port  # noqa: E402

# Money tables: (table, creation-time column, amount column or None). Tables of apps that are not installed
# are skipped; add a ledger's table here when its app lands (or pass --table).
MONEY_TABLES = [
    ("billing_payment", "created_at", "amount"),
    ("billing_refund", "created_at", "amount"),
    ("marketplace_sale", "created_at", "gross"),
    ("marketplace_earningsentry", "created_at", "amount"),
    ("marketplace_payout", "created_at", "amount"),
    ("subscriptions_subscription", "created_at", None),
    ("subscriptions_entitlement", "created_at", None),
]


@dataclass
class Drill:
    stanza: str
    config: str
    source_url: str
    target: datetime
    pg_version: str
    tables: list[tuple[str, str, str | None]]
    cluster: str = ""
    port: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def database(self) -> str:
        return self.source_url.rsplit("/", 1)[-1].split("?")[0]

    def timed(self, name: str, function, *args):
        started = time.monotonic()
        try:
            return function(*args)
        finally:
            self.timings[name] = round(time.monotonic() - started, 2)


def create_cluster(drill: Drill) -> Path:
    drill.port = free_port()
    run(
        [
            "pg_createcluster",
            "--start-conf=manual",
            "-p",
            str(drill.port),
            drill.pg_version,
            drill.cluster,
            "--",
            "--auth-host=trust",
            "--auth-local=peer",
        ]
    )
    data = Path(f"/var/lib/postgresql/{drill.pg_version}/{drill.cluster}")
    for child in data.iterdir():  # pgBackRest restores into an empty directory
        run(["rm", "-rf", str(child)])
    return data


def restore(drill: Drill, data: Path) -> None:
    run(
        [
            "pgbackrest",
            f"--config={drill.config}",
            f"--stanza={drill.stanza}",
            f"--pg1-path={data}",
            "--type=time",
            f"--target={drill.target.strftime('%Y-%m-%d %H:%M:%S.%f%z')}",
            "--target-action=promote",
            "--archive-mode=off",
            "restore",
        ],
        as_user="postgres",
        timeout=6 * 3600,
    )


def start_and_recover(drill: Drill, timeout: float = 600) -> None:
    import psycopg

    run(["pg_ctlcluster", drill.pg_version, drill.cluster, "start"], timeout=int(timeout))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(drill.url, connect_timeout=3) as conn:
                if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    return
        except psycopg.OperationalError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the restored cluster did not finish recovery in time")


def verify_ledgers(drill: Drill) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": drill.url, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    names = run([*MANAGE, "help", "--commands"], env=env).split()
    commands = ["verify_ledgers"] if "verify_ledgers" in names else sorted(n for n in names if n.startswith("verify_"))
    if not commands:
        drill.problems.append("no ledger verification command found")
    results = {}
    for command in commands:
        try:
            results[command] = run([*MANAGE, command], env=env).strip().splitlines()[-1]
        except RuntimeError as exc:
            results[command] = "FAILED"
            drill.problems.append(f"{command}: {str(exc)[-1000:]}")
    return results


def money_figures(url: str, tables, until: datetime | None) -> dict[str, dict]:
    """Row count and amount sum per money table (rows created up to `until` when given)."""
    import psycopg
    from psycopg import sql

    figures = {}
    with psycopg.connect(url, connect_timeout=10) as conn:
        present = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        for table, created, amount in tables:
            if table not in present:
                continue
            query = sql.SQL("SELECT count(*), {} FROM {}").format(
                sql.SQL("coalesce(sum({}), 0)").format(sql.Identifier(amount)) if amount else sql.SQL("0"),
                sql.Identifier(table),
            )
            params = ()
            if until is not None:
                query += sql.SQL(" WHERE {} <= %s").format(sql.Identifier(created))
                params = (until,)
            count, total = conn.execute(query, params).fetchone()
            figures[table] = {"rows": count, "amount": int(total)}
    return figures


def compare(drill: Drill) -> dict:
    expected = money_figures(drill.source_url, drill.tables, drill.target)
    restored = money_figures(drill.url, drill.tables, None)
    for table in sorted(set(expected) | set(restored)):
        if expected.get(table) != restored.get(table):
            drill.problems.append(f"{table}: source at target {expected.get(table)} != restored {restored.get(table)}")
    return {"source_at_target": expected, "restored": restored}


def drop_cluster(drill: Drill) -> None:
    run(["pg_dropcluster", "--stop", drill.pg_version, drill.cluster])


def parse_table(value: str) -> tuple[str, str, str | None]:
    parts = value.split(":")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError("--table is table:created_column[:amount_column]")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stanza", default="lyceum")
    parser.add_argument("--config", default="/etc/pgbackrest/pgbackrest.conf")
    parser.add_argument("--source-url", default=os.environ.get("DRILL_SOURCE_URL", ""), help="the live database")
    parser.add_argument("--target-time", default="", help="ISO 8601 with a time zone (default: 5 minutes ago)")
    parser.add_argument("--pg-version", default="15")
    parser.add_argument("--table", action="append", type=parse_table, default=[], help="table:created[:amount]")
    parser.add_argument("--keep", action="store_true", help="leave the restored cluster running (prints its URL)")
    parser.add_argument("--no-record", action="store_true", help="do not record the result for launch_check")
    parser.add_argument("--json-out", default="", help="also write the result to this file")
    args = parser.parse_args(argv)
    if not args.source_url:
        parser.error("--source-url (or DRILL_SOURCE_URL) is required: the drill compares with the live database")
    target = datetime.fromisoformat(args.target_time) if args.target_time else now() - timedelta(minutes=5)
    if target.tzinfo is None:
        parser.error("--target-time needs a time zone, e.g. 2026-12-06T12:00:00+00:00")

    started = now()
    drill = Drill(
        stanza=args.stanza,
        config=args.config,
        source_url=args.source_url,
        target=target,
        pg_version=args.pg_version,
        tables=MONEY_TABLES + args.table,
        cluster=f"drill_{started:%Y%m%d%H%M%S}_{os.getpid()}",
    )
    result: dict = {"target_time": target.isoformat(), "stanza": args.stanza, "cluster": drill.cluster}
    created = False
    try:
        data = drill.timed("create_cluster", create_cluster, drill)
        created = True
        result["port"] = drill.port
        drill.timed("restore", restore, drill, data)
        drill.timed("recovery", start_and_recover, drill)
        result["verification"] = drill.timed("verify_ledgers", verify_ledgers, drill)
        result["money_tables"] = drill.timed("compare", compare, drill)
    except (RuntimeError, OSError) as exc:
        drill.problems.append(str(exc)[-4000:])
    finally:
        if created and not args.keep:
            try:
                drill.timed("drop_cluster", drop_cluster, drill)
            except RuntimeError as exc:
                drill.problems.append(f"could not drop the drill cluster: {exc}")
    drill.timings["total"] = round((now() - started).total_seconds(), 2)
    passed = not drill.problems
    rows = sum(figures["rows"] for figures in result.get("money_tables", {}).get("restored", {}).values())
    summary = f"restored {args.stanza} to {target:%Y-%m-%d %H:%M:%S} UTC in {drill.timings['total']:.0f} s: " + (
        f"ledgers verify, {rows} money rows match the source" if passed else f"{len(drill.problems)} problem(s)"
    )
    result |= {"passed": passed, "summary": summary, "timings": drill.timings, "problems": drill.problems}
    if args.keep and created:
        result["url"] = drill.url
    output = json.dumps(result, indent=2, default=str)
    print(output)
    if args.json_out:
        Path(args.json_out).write_text(output)
    if not args.no_record:
        print(record("restore_drill", passed=passed, summary=summary, details=result, started_at=started))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
