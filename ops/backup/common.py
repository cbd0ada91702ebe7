"""What the backup and drill scripts share: running commands, and recording a result where launch_check
reads it (the operations app's `manage.py record_check`, against the site's own DATABASE_URL)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
MANAGE = [sys.executable, str(BASE_DIR / "manage.py")]


def now() -> datetime:
    return datetime.now(UTC)


def run(command: list[str], *, as_user: str | None = None, env: dict | None = None, timeout: int = 600) -> str:
    """Run a command (as another user through runuser when asked); its stdout, or an error with its output."""
    if as_user and os.geteuid() == 0:
        command = ["runuser", "-u", as_user, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}".strip())
    return result.stdout


def record(kind: str, *, passed: bool, summary: str, details: dict, started_at: datetime) -> str:
    """The one place a result is recorded. Returns record_check's message."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(details, handle, default=str)
        path = handle.name
    try:
        return run(
            [
                *MANAGE,
                "record_check",
                kind,
                "--passed" if passed else "--failed",
                "--summary",
                summary[:255],
                "--details",
                f"@{path}",
                "--started-at",
                started_at.isoformat(),
                "--recorded-by",
                f"{socket.gethostname()} {Path(sys.argv[0]).name}"[:120],
            ],
            env=os.environ.copy(),
        ).strip()
    finally:
        os.unlink(path)
