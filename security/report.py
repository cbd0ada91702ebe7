"""Regenerate security/REPORT.md: what the project's security tools tried, how much, and what they found.

    .venv/bin/python security/report.py            # runs bandit and the security tests (a few minutes)

Reads: bandit (run now), the security test suite (run now with pytest, JUnit XML), the last dependency audit
(`make audit`, security/results/dependency-audit.json), the permission table (accounts/permission_table.py),
the audited models (accounts/audited_models.py) and the latest load-test figures (loadtest/results/figures).
"""

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET  # noqa: S405 - reads the JUnit file pytest just wrote
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

SECURITY_TESTS = [
    "security/tests",
    "accounts/tests/test_permission_table.py",
    "accounts/tests/test_mfa.py",
    "accounts/tests/test_throttles.py",
]


def run_tests() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:warnings", f"--junitxml={junit}", *SECURITY_TESTS],
            cwd=ROOT,
            timeout=3600,
            check=False,
        )
        root = ET.parse(junit).getroot()  # noqa: S314 - our own pytest's output
    per_file: dict[str, Counter] = {}
    for case in root.iter("testcase"):
        name = case.get("classname", "").replace(".", "/")
        outcome = (
            "failed"
            if case.find("failure") is not None or case.find("error") is not None
            else ("skipped" if case.find("skipped") is not None else "passed")
        )
        per_file.setdefault(name, Counter())[outcome] += 1
    return per_file


def main() -> int:
    import django

    django.setup()
    from accounts.audited_models import AUDITED_MODELS
    from accounts.permission_table import ACTS, MODELS
    from security.static_analysis import EXPLAINED, run_bandit, unexplained

    findings, totals = run_bandit()
    tests = run_tests()
    audit_file = ROOT / "security" / "results" / "dependency-audit.json"
    dependency_audit = json.loads(audit_file.read_text()) if audit_file.exists() else None
    figures = sorted(
        (json.loads(p.read_text()) for p in (ROOT / "loadtest" / "results" / "figures").glob("*/summary.json")),
        key=lambda s: s["users"],
    )
    lines = [
        "# Security report",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `.venv/bin/python security/report.py`.",
        "",
        "## Static analysis (bandit)",
        "",
        f"{int(totals['loc'])} lines of the project's own code (tests and migrations excluded); "
        f"{len(findings)} findings: "
        + ", ".join(f"{n} {sev.lower()}" for sev, n in sorted(Counter(f.severity for f in findings).items()))
        + f". Unexplained medium/high: {len(unexplained(findings))}.",
        "",
        "| finding | file | why it is safe |",
        "|---|---|---|",
        *[f"| {test_id} | `{path}` | {why} |" for (test_id, path), why in EXPLAINED.items()],
        "",
        "## Tests (run for this report)",
        "",
        "| test file | passed | failed | skipped |",
        "|---|---|---|---|",
        *[f"| `{name}` | {c['passed']} | {c['failed']} | {c['skipped']} |" for name, c in sorted(tests.items())],
        "",
        "What they try:",
        "- API fuzzing (`security/tests/test_api_fuzzing.py`): schemathesis generates requests for every operation "
        "of the OpenAPI schema, anonymously and with a learner's Bearer key; no 5xx, responses match the schema, "
        "only documented status codes.",
        f"- Permissions (`accounts/tests/test_permission_table.py`): {len(ACTS)} staff acts and {len(MODELS)} console "
        "models, every admin action, console page and staff API operation walked for every staff group, a learner "
        "and a superuser.",
        f"- Audit trail (`security/tests/test_audit_trail.py`): {len(AUDITED_MODELS)} audited models; each kind of "
        "staff and org-admin action leaves an entry with who, what, when, from where and before/after; the trail is "
        "read-only in the console and append-only in PostgreSQL.",
        "- Client addresses (`security/tests/test_client_address.py`): axes, DRF, allauth and the audit trail read "
        "the same address behind a proxy.",
        "- Static analysis (`security/tests/test_static_analysis.py`): the bandit run above, and that a new "
        "medium finding would fail it.",
        "",
        "## Dependencies",
        "",
    ]
    if dependency_audit:
        lines.append(
            f"Last `make audit` (pip-audit over the lock): {dependency_audit['finished_at'][:16]} UTC — "
            f"{'passed' if dependency_audit['passed'] else 'not passed'}: {dependency_audit['summary']}. "
            "No advisory service is reachable from these machines, so it is a documented command whose result "
            "`manage.py launch_check` reports, not a CI step."
        )
    else:
        lines.append("`make audit` has not been run on this checkout.")
    lines += [
        "Every package is pinned with its hashes (`requirements*.txt` from `make lock`) and installed with "
        "`pip --require-hashes`.",
        "",
        "## Findings and fixes",
        "",
        "- allauth's own rate limits (sign-in 30 a minute, sign-up, password reset) read the client's address "
        "without PROXY_COUNT: behind the production proxy every visitor would have shared one address and one "
        "limit. Fixed (`ALLAUTH_TRUSTED_PROXY_COUNT = PROXY_COUNT`), tested.",
        "- django-auditlog's middleware believes the first X-Forwarded-For hop, which any client writes; the "
        "audit trail uses the project's trusted-proxy rule instead (tested with a forged header).",
        "",
        "## Load tests (loadtest/README.md)",
        "",
        "| profile | users | requests | req/s | p50 ms | p95 ms | errors | load average at start |",
        "|---|---|---|---|---|---|---|---|",
        *[
            f"| {s['profile']} | {s['users']} | {s['requests']} | {s['rps']} | {s['p50_ms']:.0f} | {s['p95_ms']:.0f} "
            f"| {s['error_rate']:.2%} | {s['machine']['load_average_at_start'][0]} |"
            for s in figures
        ],
        "",
    ]
    (ROOT / "security" / "REPORT.md").write_text("\n".join(lines))
    print(
        f"wrote security/REPORT.md ({len(findings)} bandit findings, {sum(sum(c.values()) for c in tests.values())} tests)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
