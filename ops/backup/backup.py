#!/usr/bin/env python3
"""Take a pgBackRest backup of the stanza and record the result for launch_check.

    backup.py full|diff [--stanza lyceum] [--config /etc/pgbackrest/pgbackrest.conf]

Run by cron as the postgres user (lyceum-backup.cron): full on Sundays, differential on other days.
Retention (30 days) is applied by pgBackRest itself after each backup (repo1-retention-full-type=time).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ops.backup.common import now, record, run  # noqa: E402


def pgbackrest(config: str, stanza: str, *args: str) -> list[str]:
    return ["pgbackrest", f"--config={config}", f"--stanza={stanza}", *args]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("type", choices=["full", "diff", "incr"])
    parser.add_argument("--stanza", default="lyceum")
    parser.add_argument("--config", default="/etc/pgbackrest/pgbackrest.conf")
    parser.add_argument("--no-record", action="store_true", help="do not record the result (manual runs)")
    args = parser.parse_args(argv)

    started = now()
    try:
        run(pgbackrest(args.config, args.stanza, f"--type={args.type}", "backup"), timeout=6 * 3600)
        info = json.loads(run(pgbackrest(args.config, args.stanza, "--output=json", "info")))
        latest = info[0]["backup"][-1]
        details = {
            "label": latest["label"],
            "type": latest["type"],
            "database_bytes": latest["info"]["size"],
            "repository_bytes": latest["info"]["repository"]["delta"],
            "seconds": latest["timestamp"]["stop"] - latest["timestamp"]["start"],
            "backups_kept": len(info[0]["backup"]),
        }
        passed, summary = True, f"{args.type} backup {latest['label']} of stanza {args.stanza}"
    except (RuntimeError, ValueError, KeyError, IndexError) as exc:
        details, passed, summary = {"error": str(exc)[-4000:]}, False, f"{args.type} backup of {args.stanza} failed"
    print(json.dumps({"passed": passed, "summary": summary, **details}, indent=2))
    if not args.no_record:
        print(record("backup", passed=passed, summary=summary, details=details, started_at=started))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
