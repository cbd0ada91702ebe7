"""A small client for the emulator's control API (``/_emulator/...``)."""

from __future__ import annotations

import json
import urllib.request


class EmulatorControl:
    def __init__(self, base_url: str, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict | None = None, timeout=None):
        data = json.dumps(body or {}).encode() if method != "GET" else None
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
            return json.loads(response.read() or b"{}")

    def health(self) -> dict:
        return self._call("GET", "/_emulator/health")

    def reset(self) -> dict:
        return self._call("POST", "/_emulator/reset")

    def fault(self, mode: str, count: int | None = None, **options) -> dict:
        """``fault("error", 2, status=500, path="/v1/customers")``, ``fault("hang", 1, seconds=5)``,
        ``fault("duplicate")``, ``fault("shuffle")``, ``fault("drop", 1)``, ``fault("delay", seconds=1)``."""
        body = {"mode": mode, **options}
        if count is not None:
            body["count"] = count
        return self._call("POST", "/_emulator/faults", body)

    def faults(self) -> dict:
        return self._call("GET", "/_emulator/faults")

    def clear_faults(self) -> dict:
        return self._call("DELETE", "/_emulator/faults")

    def deliveries(self, **filters) -> list[dict]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        return self._call("GET", "/_emulator/deliveries" + (f"?{query}" if query else ""))["data"]

    def flush(self, timeout: float = 30.0) -> dict:
        """Deliver buffered (shuffled) webhooks and block until the queue is empty."""
        return self._call("POST", "/_emulator/flush", {"timeout": timeout}, timeout=timeout + 5)

    def wait(self, timeout: float = 30.0) -> dict:
        """Block until no delivery is queued or in flight (buffered ones stay buffered)."""
        return self._call("POST", "/_emulator/wait", {"timeout": timeout}, timeout=timeout + 5)

    def configure(self, **options) -> dict:
        """``webhook_retry_base``, ``webhook_max_attempts``, ``webhook_timeout``."""
        return self._call("POST", "/_emulator/config", options)

    def complete_checkout(self, session_id: str, card_number: str = "4242424242424242", **fields) -> dict:
        """Pay a Checkout Session as the hosted page would (no browser)."""
        return self._call("POST", f"/_emulator/checkout/{session_id}/pay", {"card_number": card_number, **fields})

    def complete_onboarding(self, account_id: str) -> dict:
        """Finish Express onboarding for a connected account (no browser)."""
        return self._call("POST", f"/_emulator/accounts/{account_id}/onboard")

    def pay_invoice(self, invoice_id: str, card_number: str = "4242424242424242", **fields) -> dict:
        """Pay an invoice as its hosted invoice page would (no browser)."""
        return self._call("POST", f"/_emulator/invoices/{invoice_id}/pay", {"card_number": card_number, **fields})
