"""Webhook signing and a background delivery queue with retries and fault modes."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
import time
import urllib.error
import urllib.request

from .store import random_token


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value Stripe would send for ``payload``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def endpoint_matches(endpoint: dict, event_type: str) -> bool:
    if endpoint.get("status") != "enabled":
        return False
    enabled = endpoint.get("enabled_events") or []
    return "*" in enabled or event_type in enabled


class WebhookDispatcher:
    """Delivers events to endpoints in one background thread, in queue order.

    Failed attempts (non-2xx or connection error) are retried after
    ``retry_base * 2 ** (attempt - 1)`` seconds, up to ``max_attempts`` attempts.
    """

    def __init__(self, retry_base: float = 0.5, max_attempts: int = 5, timeout: float = 10.0):
        self.retry_base = retry_base
        self.max_attempts = max_attempts
        self.timeout = timeout
        self._cond = threading.Condition()
        self._counter = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.reset()

    # configuration / state ---------------------------------------------------------
    def reset(self) -> None:
        with self._cond:
            self._heap: list = []
            self._buffer: list = []
            self._inflight = 0
            self.deliveries: list[dict] = []
            self.clear_faults()
            self._cond.notify_all()

    def clear_faults(self) -> None:
        with self._cond:
            # None means "no limit" for duplicate/drop once switched on.
            self.faults = {"duplicate": 0, "drop": 0, "shuffle": False, "delay_seconds": 0.0}

    def set_fault(self, mode: str, count: int | None = None, seconds: float | None = None):
        with self._cond:
            if mode in ("duplicate", "drop"):
                self.faults[mode] = -1 if count is None else int(count)
            elif mode == "shuffle":
                self.faults["shuffle"] = True
            elif mode == "delay":
                self.faults["delay_seconds"] = float(seconds or 0)
            else:
                raise ValueError(mode)

    def configure(self, **options) -> None:
        with self._cond:
            for key in ("retry_base", "max_attempts", "timeout"):
                if options.get(key) is not None:
                    setattr(self, key, type(getattr(self, key))(options[key]))

    # queueing ------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def _take(self, mode: str) -> bool:
        value = self.faults[mode]
        if value == 0:
            return False
        if value > 0:
            self.faults[mode] = value - 1
        return True

    def enqueue(self, event: dict, endpoints: list[dict]) -> None:
        payload = json.dumps(event, indent=2)
        with self._cond:
            for endpoint in endpoints:
                copies = 2 if self._take("duplicate") else 1
                for n in range(copies):
                    record = {
                        "id": "dlv_" + random_token(16),
                        "event_id": event["id"],
                        "type": event["type"],
                        "endpoint_id": endpoint["id"],
                        "url": endpoint["url"],
                        "attempts": 0,
                        "status": "pending",
                        "status_code": None,
                        "error": None,
                        "duplicate": n > 0,
                        "created": time.time(),
                        "delivered_at": None,
                        "_payload": payload,
                        "_secret": endpoint["_secret"],
                    }
                    self.deliveries.append(record)
                    if self._take("drop"):
                        record["status"] = "dropped"
                    elif self.faults["shuffle"]:
                        record["status"] = "buffered"
                        self._buffer.append(record)
                    else:
                        self._push(record, time.time() + self.faults["delay_seconds"])
            self._cond.notify_all()

    def _push(self, record: dict, due: float) -> None:
        heapq.heappush(self._heap, (due, next(self._counter), record))

    def release_buffer(self) -> int:
        with self._cond:
            buffered, self._buffer = self._buffer, []
            random.shuffle(buffered)
            now = time.time()
            for record in buffered:
                record["status"] = "pending"
                self._push(record, now)
            self._cond.notify_all()
            return len(buffered)

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until nothing is queued or in flight; False on timeout."""
        deadline = time.time() + timeout
        with self._cond:
            while self._heap or self._inflight:
                remaining = deadline - time.time()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.1))
            return True

    def flush(self, timeout: float = 30.0) -> bool:
        self.release_buffer()
        return self.wait(timeout)

    def public_deliveries(self) -> list[dict]:
        with self._cond:
            return [{k: v for k, v in d.items() if not k.startswith("_")} for d in self.deliveries]

    # delivery ------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._heap and self._heap[0][0] <= time.time():
                        break
                    delay = self._heap[0][0] - time.time() if self._heap else 0.5
                    self._cond.wait(max(0.01, min(delay, 0.5)))
                if self._stopped:
                    return
                _, _, record = heapq.heappop(self._heap)
                self._inflight += 1
            try:
                self._attempt(record)
            finally:
                with self._cond:
                    self._inflight -= 1
                    self._cond.notify_all()

    def _attempt(self, record: dict) -> None:
        payload = record["_payload"]
        request = urllib.request.Request(
            record["url"],
            data=payload.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(payload, record["_secret"]),
            },
        )
        status_code, error = None, None
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status_code = response.status
        except urllib.error.HTTPError as exc:
            status_code, error = exc.code, f"HTTP {exc.code}"
        except Exception as exc:  # noqa: BLE001  connection refused, timeout, bad URL ...
            error = f"{type(exc).__name__}: {exc}"
        with self._cond:
            record["attempts"] += 1
            record["status_code"] = status_code
            record["error"] = error
            if status_code is not None and 200 <= status_code < 300:
                record["status"] = "succeeded"
                record["error"] = None
                record["delivered_at"] = time.time()
            elif record["attempts"] >= self.max_attempts:
                record["status"] = "failed"
            else:
                record["status"] = "retrying"
                backoff = self.retry_base * 2 ** (record["attempts"] - 1)
                self._push(record, time.time() + backoff)
