"""State file persistence, the command line and the control API basics."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from stripe_emulator.testing import start_emulator

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_state_survives_a_restart(tmp_path):
    state = tmp_path / "stripe.json"
    first = start_emulator(state_file=str(state))
    try:
        customer = first.stripe_client().v1.customers.create(params={"email": "keep@example.com"})
    finally:
        first.stop()
    assert json.loads(state.read_text())["objects"]["customer"][customer.id]["email"] == "keep@example.com"
    second = start_emulator(state_file=str(state))
    try:
        assert second.stripe_client().v1.customers.retrieve(customer.id).email == "keep@example.com"
    finally:
        second.stop()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_command_line_starts_a_server(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", "--port", str(port), "--state-file", str(tmp_path / "s.json")],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health") as response:
                    health = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.05)
        assert health["status"] == "ok"
        assert health["api_version"] == "2026-08-26.dahlia"
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_reset_clears_state_and_endpoints(emulator, client):
    client.v1.customers.create()
    client.v1.webhook_endpoints.create(params={"url": "http://127.0.0.1:9/", "enabled_events": ["*"]})
    emulator.control.fault("error", 3)
    emulator.control.reset()
    assert client.v1.customers.list().data == []
    assert client.v1.webhook_endpoints.list().data == []
    assert emulator.control.faults()["api"] == []
