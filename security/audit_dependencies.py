"""`make audit`: pip-audit over the hash-locked requirements, result recorded for launch_check.

Runs pip-audit on requirements-dev.txt (which holds every runtime package at its locked version too),
keeps its JSON in security/results/dependency-audit.json for security/REPORT.md, and records the outcome
as the `dependency_audit` operational check (`manage.py record_check`), which launch_check reads.

Passed only when every locked package was looked up and none has a known vulnerability: a package the
advisory service could not answer for (no network, service down) makes the audit fail, never pass.
"""

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "security" / "results" / "dependency-audit.json"
LOCK_FILES = ("requirements-dev.txt",)


def run_pip_audit() -> dict:
    command = [
        str(Path(sys.executable).parent / "pip-audit"),
        "--require-hashes",
        "--disable-pip",
        "--progress-spinner",
        "off",
        "--format",
        "json",
    ]
    for lock in LOCK_FILES:
        command += ["--requirement", str(ROOT / lock)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=ROOT)
    # pip-audit exits 1 when it finds vulnerabilities; its JSON is on stdout either way.
    try:
        return json.loads(completed.stdout)
    except ValueError:
        return {"error": (completed.stderr or completed.stdout).strip()[-2000:] or f"exit {completed.returncode}"}


def summarise(report: dict) -> tuple[bool, str, dict]:
    if "error" in report:
        return False, f"pip-audit could not run: {report['error'][:180]}", {"error": report["error"]}
    dependencies = report.get("dependencies", [])
    skipped = [d["name"] for d in dependencies if d.get("skip_reason")]
    vulnerable = {d["name"]: [v["id"] for v in d.get("vulns", [])] for d in dependencies if d.get("vulns")}
    details = {
        "packages": len(dependencies),
        "audited": len(dependencies) - len(skipped),
        "skipped": skipped,
        "vulnerable": vulnerable,
    }
    if vulnerable:
        names = ", ".join(f"{name} ({', '.join(ids)})" for name, ids in sorted(vulnerable.items()))
        return False, f"{len(vulnerable)} locked package(s) with known vulnerabilities: {names}"[:255], details
    if skipped:
        return (
            False,
            f"not audited: the advisory service answered for {details['audited']} of {len(dependencies)} "
            "locked packages (unreachable from this machine?)",
            details,
        )
    return True, f"no known vulnerabilities in the {len(dependencies)} locked packages", details


def main() -> int:
    started = datetime.now(UTC)
    passed, summary, details = summarise(run_pip_audit())
    finished = datetime.now(UTC)
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(
        json.dumps(
            {"passed": passed, "summary": summary, "finished_at": finished.isoformat(), **details},
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "record_check",
            "dependency_audit",
            "--passed" if passed else "--failed",
            "--summary",
            summary,
            "--details",
            f"@{RESULT}",
            "--started-at",
            started.isoformat(),
            "--finished-at",
            finished.isoformat(),
        ],
        check=True,
        cwd=ROOT,
    )
    print(summary)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
