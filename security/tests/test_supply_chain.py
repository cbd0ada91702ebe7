"""Supply chain: every installed package is pinned with its hashes and installed with --require-hashes."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from security.audit_dependencies import summarise

ROOT = Path(__file__).resolve().parents[2]
LOCKS = {"requirements.txt": "requirements.in", "requirements-dev.txt": "requirements-dev.in"}
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a pip-compile --generate-hashes file."""
    entries: dict[str, tuple[str, list[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        if match:
            current = _normalise(match.group(1))
            entries[current] = (match.group(2), [])
        elif line.startswith("--hash=sha256:") and current:
            entries[current][1].append(line.removeprefix("--hash=sha256:").rstrip(" \\"))
        else:
            raise AssertionError(f"{path.name}: unexpected line {raw!r} (regenerate it with `make lock`)")
    return entries


def _pinned(path: Path) -> dict[str, str]:
    pins = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: {raw!r} is not pinned with =="
        pins[_normalise(match.group(1))] = match.group(2)
    return pins


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_package_has_its_hashes(lock):
    entries = _locked(ROOT / lock)
    assert len(entries) > 50
    for name, (version, hashes) in entries.items():
        assert hashes, f"{lock}: {name}=={version} has no hash"
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), f"{lock}: {name} has a malformed hash"


@pytest.mark.parametrize("lock,source", LOCKS.items())
def test_the_lock_holds_what_the_in_file_asks_for(lock, source):
    locked = _locked(ROOT / lock)
    for name, version in _pinned(ROOT / source).items():
        assert name in locked, f"{source} asks for {name} but {lock} lacks it: run `make lock`"
        assert locked[name][0] == version, f"{source} pins {name}=={version}, {lock} has {locked[name][0]}: `make lock`"
    if source == "requirements-dev.in":
        for name, version in _pinned(ROOT / "requirements.in").items():
            assert locked[name][0] == version, f"the dev lock has {name} at another version than the site's lock"


def test_the_dev_lock_installs_the_runtime_lock_unchanged():
    runtime, dev = _locked(ROOT / "requirements.txt"), _locked(ROOT / "requirements-dev.txt")
    for name, (version, hashes) in runtime.items():
        assert dev.get(name, (None, []))[0] == version, f"{name}: the dev lock differs from requirements.txt"
        assert set(dev[name][1]) == set(hashes)


def test_every_install_requires_hashes():
    makefile = (ROOT / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if "pip install" in line]
    assert installs and all("--require-hashes" in line for line in installs), installs
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    docker_installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert docker_installs and all("--require-hashes -r requirements.txt" in line for line in docker_installs)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make install" in ci and "pip install" not in ci


def test_pip_refuses_a_package_whose_file_is_not_the_locked_one(tmp_path):
    """What --require-hashes buys: a tampered file (here, any file whose hash is not the locked one) never
    installs. Offline: a tiny wheel from a local folder."""
    wheel = tmp_path / "lyceum_tamper_probe-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("lyceum_tamper_probe/__init__.py", "")
        info = "lyceum_tamper_probe-1.0.dist-info/"
        archive.writestr(info + "METADATA", "Metadata-Version: 2.1\nName: lyceum-tamper-probe\nVersion: 1.0\n")
        archive.writestr(
            info + "WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(info + "RECORD", "")
    lock = tmp_path / "requirements.txt"
    lock.write_text("lyceum-tamper-probe==1.0 --hash=sha256:" + "0" * 64 + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--find-links", str(tmp_path)]
        + ["--require-hashes", "-r", str(lock)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DO NOT MATCH THE HASHES" in result.stderr


def test_an_audit_passes_only_when_every_package_was_looked_up_and_none_is_vulnerable():
    clean = {"dependencies": [{"name": "django", "version": "5.2", "vulns": []}]}
    assert summarise(clean)[0] is True
    unreachable = {"dependencies": [{"name": "django", "skip_reason": "Dependency not found on PyPI"}]}
    passed, summary, details = summarise(unreachable)
    assert passed is False and "0 of 1" in summary and details["skipped"] == ["django"]
    vulnerable = {"dependencies": [{"name": "django", "version": "5.2", "vulns": [{"id": "PYSEC-1"}]}]}
    passed, summary, details = summarise(vulnerable)
    assert passed is False and "django (PYSEC-1)" in summary and details["vulnerable"] == {"django": ["PYSEC-1"]}
    assert summarise({"error": "no network"})[0] is False
