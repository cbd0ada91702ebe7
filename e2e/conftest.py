"""Playwright journeys against a live server, driving Debian's Chromium.

Without Chromium the journeys are skipped with the reason; with E2E_REQUIRED=1 (CI) they fail instead.
Screenshots and traces of failures are kept in test-results/.
"""

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM_CANDIDATES = [os.environ.get("CHROMIUM_PATH", ""), "/usr/bin/chromium", "/usr/bin/chromium-browser"]


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    return found


def pytest_collection_modifyitems(config, items):
    e2e_dir = Path(__file__).parent
    in_e2e = [item for item in items if Path(str(item.fspath)).is_relative_to(e2e_dir)]
    for item in in_e2e:
        item.add_marker(pytest.mark.e2e)
    if chromium_path() or not in_e2e:
        return
    if os.environ.get("E2E_REQUIRED") == "1":
        raise pytest.UsageError("E2E_REQUIRED=1 but Chromium was not found (install Debian's chromium package).")
    skip = pytest.mark.skip(reason="Chromium not found at /usr/bin/chromium: browser journeys skipped")
    for item in in_e2e:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path(),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def console_errors(page):
    """Collects console errors, page errors and server errors (any 5xx answer, pages and the requests they
    make: a 500 is a bug even when the page after it looks right); a journey asserts it stays empty."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} from {response.request.method} {response.url}")
            if response.status >= 500
            else None
        ),
    )
    return errors
