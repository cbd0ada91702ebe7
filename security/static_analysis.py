"""Static analysis: bandit over the project's own code (tests, migrations and the virtualenv left out).

Every medium or high finding must be explained here (``EXPLAINED``: why the flagged code is safe), and every
explanation must still match a finding, so the list cannot go stale. Low findings are counted in
security/REPORT.md. Run by security/tests/test_static_analysis.py in CI and by ``security/report.py``.
"""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = (
    "accounts",
    "billing",
    "subscriptions",
    "marketplace",
    "licensing",
    "support",
    "operations",
    "config",
    "security",
    "stripe_emulator",
    "ops",
    "deploy",
    "scripts",
    "bench",
    "loadtest",
    "manage.py",
)
EXCLUDED = "*/tests/*,*/migrations/*,*/djstripe_migrations/*"

# (bandit test id, file) -> why it is not a vulnerability. Keyed by file, not line, so an edit elsewhere in
# the file does not unexplain it; a new finding of the same kind in the same file needs a fresh look anyway
# (the test shows each finding's line).
EXPLAINED: dict[tuple[str, str], str] = {
    ("B308", "marketplace/rendering.py"): (
        "mark_safe on the output of nh3.clean with an allow-list of tags, attributes and URL schemes "
        "(http, https, mailto): the course description's Markdown cannot carry script or event handlers."
    ),
    ("B703", "marketplace/rendering.py"): "The same mark_safe as B308: nh3 has removed everything not allowed.",
    ("B608", "marketplace/selectors.py"): (
        "The search paginator wraps Django's own compiled SQL (values stay parameters); only column numbers "
        "and ASC/DESC, chosen from the model's field names, are put into the text."
    ),
    ("B310", "deploy/healthcheck.py"): "The container's health check opens a fixed http://127.0.0.1 URL.",
    ("B310", "scripts/wait_for.py"): "A developer script polling a URL given on its own command line (CI, make).",
    ("B310", "stripe_emulator/control.py"): (
        "The test helper talks to the emulator's base URL from the settings (STRIPE_API_BASE), http only."
    ),
    ("B310", "stripe_emulator/webhooks.py"): (
        "The emulator (never deployed) delivers webhooks to endpoints registered through its own API in tests "
        "and development."
    ),
    ("B314", "security/report.py"): (
        "The report parses the JUnit XML file that the pytest it has just run wrote into its own temporary folder."
    ),
    ("B310", "loadtest/run.py"): (
        "The load-test runner polls the servers it started itself, on http://127.0.0.1 ports it picked."
    ),
    ("B602", "loadtest/run.py"): (
        "The load-test runner starts gunicorn with the Procfile's own `web:` line (read from the repository, "
        "no outside input), through a shell so the line's `env` and ${...} defaults work as in production."
    ),
}


@dataclass(frozen=True)
class Finding:
    test_id: str
    severity: str
    confidence: str
    path: str
    line: int
    text: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.test_id, self.path)

    @property
    def serious(self) -> bool:
        return self.severity in ("MEDIUM", "HIGH")


def run_bandit() -> tuple[list[Finding], dict]:
    targets = [t for t in TARGETS if (ROOT / t).exists()]
    completed = subprocess.run(
        [sys.executable, "-m", "bandit", "--quiet", "--recursive", "--format", "json", "--exclude", EXCLUDED, *targets],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    # bandit exits 1 when it finds anything; its JSON is on stdout either way.
    try:
        report = json.loads(completed.stdout)
    except ValueError as exc:
        raise RuntimeError(f"bandit did not run: {completed.stderr[-2000:]}") from exc
    if report.get("errors"):
        raise RuntimeError(f"bandit could not read some files: {report['errors']}")
    findings = [
        Finding(
            r["test_id"],
            r["issue_severity"],
            r["issue_confidence"],
            str(Path(r["filename"]).as_posix()).removeprefix("./"),
            r["line_number"],
            r["issue_text"],
        )
        for r in report["results"]
    ]
    return findings, report["metrics"]["_totals"]


def unexplained(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.serious and f.key not in EXPLAINED]


def stale_explanations(findings: list[Finding]) -> list[tuple[str, str]]:
    seen = {f.key for f in findings if f.serious}
    return [key for key in EXPLAINED if key not in seen]


def main() -> int:
    findings, totals = run_bandit()
    for finding in findings:
        mark = "explained" if finding.key in EXPLAINED else ("UNEXPLAINED" if finding.serious else "low")
        print(f"{finding.severity:6} {finding.test_id} {finding.path}:{finding.line} [{mark}] {finding.text}")
    print(f"{int(totals['loc'])} lines scanned; {len(findings)} findings; {len(unexplained(findings))} unexplained")
    return 1 if unexplained(findings) or stale_explanations(findings) else 0


if __name__ == "__main__":
    sys.exit(main())
