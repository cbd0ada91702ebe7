"""Helpers for test suites: an in-process emulator and a webhook receiver.

    from stripe_emulator.testing import start_emulator, WebhookReceiver

    emulator = start_emulator()          # RunningEmulator; emulator.url == "http://127.0.0.1:PORT"
    client = emulator.stripe_client()    # stripe.StripeClient pointed at it
    ...
    emulator.stop()

or as pytest fixtures: ``from stripe_emulator.testing import emulator, stripe_client,
webhook_receiver  # noqa: F401`` in a conftest (names below).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .control import EmulatorControl
from .server import EmulatorServer

TEST_API_KEY = "sk_test_emulator0000000000000000000000"


class RunningEmulator:
    def __init__(self, server: EmulatorServer):
        self.server = server
        self.url = server.base_url
        self.control = EmulatorControl(self.url)

    @property
    def emulator(self):
        """The in-process ``Emulator`` (state in ``.store``, webhooks in ``.webhooks``)."""
        return self.server.emulator

    def stripe_client(self, api_key: str = TEST_API_KEY, max_network_retries: int = 0, **kwargs):
        import stripe

        return stripe.StripeClient(
            api_key,
            base_addresses={"api": self.url, "files": self.url, "connect": self.url},
            max_network_retries=max_network_retries,
            **kwargs,
        )

    def configure_global_stripe(self, api_key: str = TEST_API_KEY):
        """Point the module-level ``stripe`` SDK (used by dj-stripe) at the emulator."""
        import stripe

        stripe.api_key = api_key
        stripe.api_base = self.url
        stripe.connect_api_base = self.url
        return stripe

    def stop(self) -> None:
        self.server.stop()


def start_emulator(host: str = "127.0.0.1", port: int = 0, **options) -> RunningEmulator:
    """Start an emulator on a free port in a daemon thread. Options go to ``Emulator``
    (``state_file``, ``webhook_retry_base`` (default here 0.05s), ``webhook_max_attempts``)."""
    options.setdefault("webhook_retry_base", 0.05)
    server = EmulatorServer(host, port, **options)
    server.start_background()
    return RunningEmulator(server)


class WebhookReceiver:
    """A tiny threaded HTTP server that records webhook POSTs.

    ``receiver.url`` is where to point a webhook endpoint; ``receiver.requests`` holds
    dicts {"body": str, "headers": dict, "event": dict, "status": int}. Set
    ``receiver.responses`` to a list of status codes to answer in turn (then 200).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.requests: list[dict] = []
        self.responses: list[int] = []
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                with receiver._lock:
                    status = receiver.responses.pop(0) if receiver.responses else 200
                try:
                    event = json.loads(body)
                except ValueError:
                    event = None
                record = {"body": body, "headers": dict(self.headers.items()), "event": event, "status": status}
                with receiver._lock:
                    receiver.requests.append(record)
                receiver._queue.put(record)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}/webhook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def events(self, accepted_only: bool = True) -> list[dict]:
        with self._lock:
            return [r["event"] for r in self.requests if not accepted_only or r["status"] < 300]

    def types(self) -> list[str]:
        return [e["type"] for e in self.events()]

    def wait_for(self, event_type: str, timeout: float = 5.0) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for event in self.events():
                if event["type"] == event_type:
                    return event
            time.sleep(0.02)
        raise AssertionError(f"no {event_type} webhook within {timeout}s; got {self.types()}")

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- pytest fixtures (import them into a conftest to use) -----------------------------------
try:
    import pytest
except ImportError:  # pragma: no cover
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def stripe_emulator_session():
        running = start_emulator()
        yield running
        running.stop()

    @pytest.fixture
    def emulator(stripe_emulator_session):
        """A running emulator, reset before each test."""
        stripe_emulator_session.control.reset()
        stripe_emulator_session.control.configure(webhook_retry_base=0.05, webhook_max_attempts=5)
        yield stripe_emulator_session
        stripe_emulator_session.control.clear_faults()

    @pytest.fixture
    def stripe_client(emulator):
        return emulator.stripe_client()

    @pytest.fixture
    def webhook_receiver():
        receiver = WebhookReceiver()
        yield receiver
        receiver.stop()
