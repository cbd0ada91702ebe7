"""HTTP server: routing, auth, idempotency, API fault injection, events."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import resources  # noqa: F401  (registers the routes)
from .errors import APIError, AuthenticationError, IdempotencyError, InvalidRequest, StripeError
from .routing import ROUTES, TIME_HOOKS, Request, Response, parse_json_or_form, parse_params, render
from .shapes import API_VERSION, build
from .store import Store, random_token
from .webhooks import WebhookDispatcher, endpoint_matches


class Emulator:
    """Everything but the socket: state, events, faults and request handling."""

    def __init__(
        self,
        state_file=None,
        webhook_retry_base: float = 0.5,
        webhook_max_attempts: int = 5,
        webhook_timeout: float = 10.0,
        accept_live_keys: bool = False,
    ):
        # Live keys (sk_live_) are refused unless asked for: only to rehearse a live-mode configuration
        # (manage.py launch_check) against the emulator, never to stand in for real Stripe.
        self.accept_live_keys = accept_live_keys
        self.store = Store(state_file)
        self.webhooks = WebhookDispatcher(webhook_retry_base, webhook_max_attempts, webhook_timeout)
        self.api_faults: list[dict] = []
        self._faults_lock = threading.Lock()
        self._local = threading.local()
        self.base_url = ""

    # -- lifecycle ----------------------------------------------------------------------
    def reset(self) -> None:
        with self.store.lock:
            self.store.reset()
            with self._faults_lock:
                self.api_faults = []
            self.webhooks.reset()
            self.store.save()

    # -- time ---------------------------------------------------------------------------
    def now(self, customer_id: str | None = None) -> int:
        """Unix time as seen by ``customer_id``: a test clock's frozen time if it has one."""
        customer = self.store.maybe("customer", customer_id) if customer_id else None
        clock_id = customer.get("test_clock") if customer else None
        clock = self.store.maybe("test_helpers.test_clock", clock_id) if clock_id else None
        return clock["frozen_time"] if clock else int(time.time())

    # -- events -------------------------------------------------------------------------
    def emit(self, event_type: str, obj: dict, previous: dict | None = None, created=None):
        store = self.store
        request = getattr(self._local, "request", None)
        endpoints = [e for e in store.all("webhook_endpoint") if endpoint_matches(e, event_type)]
        data = {"object": render(store, obj)}
        if previous:
            data["previous_attributes"] = previous
        event = build(
            "event",
            id=store.new_id("evt_"),
            api_version=API_VERSION,
            created=created or int(time.time()),
            data=data,
            pending_webhooks=len(endpoints),
            request={
                "id": request.request_id if request else None,
                "idempotency_key": request.idempotency_key if request else None,
            },
            type=event_type,
        )
        if obj.get("object") == "account" and obj.get("id") != store.platform_account_id:
            event["account"] = obj["id"]
        store.add(event)
        if endpoints:
            self.webhooks.enqueue(render(store, event), endpoints)
        return event

    @staticmethod
    def changed(before: dict, after: dict) -> dict:
        """``previous_attributes``: the old values of top-level keys that changed."""
        return {k: v for k, v in before.items() if not k.startswith("_") and after.get(k) != v}

    # -- faults -------------------------------------------------------------------------
    def add_fault(self, spec: dict) -> None:
        mode = spec.get("mode")
        if mode in ("error", "hang"):
            with self._faults_lock:
                self.api_faults.append(
                    {
                        "mode": mode,
                        "remaining": int(spec.get("count", 1)),
                        "status": int(spec.get("status", 500)),
                        "seconds": float(spec.get("seconds", 30)),
                        "path": spec.get("path"),
                        "method": (spec.get("method") or "").upper() or None,
                    }
                )
        elif mode in ("duplicate", "drop", "shuffle", "delay"):
            self.webhooks.set_fault(mode, spec.get("count"), spec.get("seconds"))
        else:
            raise InvalidRequest("mode must be one of error, hang, duplicate, drop, shuffle, delay", param="mode")

    def clear_faults(self) -> None:
        with self._faults_lock:
            self.api_faults = []
        self.webhooks.clear_faults()
        self.webhooks.release_buffer()

    def describe_faults(self) -> dict:
        with self._faults_lock:
            api = [dict(f) for f in self.api_faults if f["remaining"] > 0]
        return {"api": api, "webhooks": dict(self.webhooks.faults)}

    def _take_fault(self, method: str, path: str) -> dict | None:
        with self._faults_lock:
            for fault in self.api_faults:
                if fault["remaining"] <= 0:
                    continue
                if fault["path"] and not path.startswith(fault["path"]):
                    continue
                if fault["method"] and fault["method"] != method:
                    continue
                fault["remaining"] -= 1
                return dict(fault)
        return None

    # -- request handling ------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict, body: bytes) -> Response:
        request_id = "req_" + random_token(14)
        split = urlsplit(raw_path)
        path = split.path.rstrip("/") or "/"
        base_headers = {"Request-Id": request_id, "Stripe-Version": API_VERSION}
        host = headers.get("host")
        base_url = f"http://{host}" if host else self.base_url
        try:
            response = self._dispatch(method, path, split.query, headers, body, request_id, base_url)
        except StripeError as exc:
            response = json_response(exc.status, exc.to_dict(request_id))
        except Exception:  # noqa: BLE001  a bug in the emulator: answer like Stripe would
            traceback.print_exc()
            exc = APIError("An unknown error occurred in the Stripe emulator.")
            response = json_response(500, exc.to_dict(request_id))
        response.headers = {**base_headers, **response.headers}
        return response

    def _dispatch(self, method, path, query, headers, body, request_id, base_url) -> Response:
        params = parse_params(query)
        is_api = path.startswith("/v1/")
        is_control = path.startswith("/_emulator")
        content_type = headers.get("content-type", "")
        if is_control:
            params.update(parse_json_or_form(body, content_type or "application/json"))
        elif method in ("POST", "DELETE") and body:
            params.update(parse_json_or_form(body, content_type))

        handler, args = self._match(method, path)
        if is_api:
            api_key = self._authenticate(headers)
            fault = self._take_fault(method, path)
            if fault:
                return self._fault_response(fault, request_id)
            if handler is None:
                raise InvalidRequest(
                    f"Unrecognized request URL ({method}: {path}). Please see "
                    "https://stripe.com/docs or we can help at https://support.stripe.com/."
                )
        if handler is None:
            return json_response(404, {"error": {"type": "invalid_request_error", "message": f"Not found: {path}"}})
        idem_key = headers.get("idempotency-key") if (is_api and method == "POST") else None
        request = Request(
            method=method,
            path=path,
            params=params,
            headers=headers,
            emulator=self,
            args=args,
            request_id=request_id,
            idempotency_key=idem_key,
            base_url=base_url,
        )
        if idem_key:
            return self._idempotent(request, api_key, handler)
        return self._run(request, handler)

    def _match(self, method, path):
        for route_method, pattern, func in ROUTES:
            if route_method != method:
                continue
            match = pattern.match(path)
            if match:
                return func, match.groups()
        return None, ()

    def _authenticate(self, headers) -> str:
        auth = headers.get("authorization", "")
        key = ""
        if auth.lower().startswith("bearer "):
            key = auth[7:].strip()
        elif auth.lower().startswith("basic "):
            import base64

            try:
                key = base64.b64decode(auth[6:]).decode().split(":")[0]
            except Exception:  # noqa: BLE001  not a key we could read
                key = ""
        if not key:
            raise AuthenticationError(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details.",
                status=401,
            )
        prefixes = ("sk_test_", "rk_test_") + (("sk_live_", "rk_live_") if self.accept_live_keys else ())
        if not key.startswith(prefixes) or len(key) <= len("sk_test_"):
            masked = key[:8] + "*" * max(0, len(key) - 12) + key[-4:]
            raise AuthenticationError(f"Invalid API Key provided: {masked}", code="api_key_invalid", status=401)
        return key

    def _fault_response(self, fault, request_id) -> Response:
        if fault["mode"] == "hang":
            time.sleep(fault["seconds"])
            exc = APIError("Injected fault: the request hung.")
            return json_response(500, exc.to_dict(request_id))
        status = fault["status"]
        kind = "api_error" if status >= 500 else "invalid_request_error"
        if status == 429:
            kind = "rate_limit_error"
        exc = StripeError("Injected fault from the Stripe emulator.", status=status, type=kind)
        return json_response(status, exc.to_dict(request_id))

    def _run(self, request: Request, handler) -> Response:
        store = self.store
        if getattr(handler, "unlocked", False):  # e.g. waiting for webhook deliveries
            result = handler(request)
            return json_response(200, result) if not isinstance(result, Response) else result
        with store.lock:
            self._local.request = request
            try:
                for hook in TIME_HOOKS:  # time-based work that has fallen due (e.g. invoices going overdue)
                    hook(request)
                result = handler(request)
            finally:
                self._local.request = None
                if request.method in ("POST", "DELETE"):
                    store.save()
            if isinstance(result, Response):
                return result
            return json_response(200, render(store, result, request.expand))

    def _idempotent(self, request: Request, api_key: str, handler) -> Response:
        store = self.store
        fingerprint = hashlib.sha256(json.dumps([request.path, request.params], sort_keys=True).encode()).hexdigest()
        slot = f"{api_key}:{request.idempotency_key}"
        with store.lock:
            saved = store.idempotency.get(slot)
            if saved is not None:
                if saved["fingerprint"] != fingerprint:
                    raise IdempotencyError(
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with. Try using a key other than "
                        f"'{request.idempotency_key}' if you meant to execute a different "
                        "request.",
                        status=400,
                    )
                if saved.get("in_flight"):
                    raise IdempotencyError(
                        "There is currently another in-progress request using this "
                        "Idempotent Key (that probably means you submitted twice, and the "
                        "other request is still going through).",
                        status=409,
                    )
                response = Response(
                    saved["status"],
                    saved["body"].encode(),
                    "application/json",
                    {"Idempotent-Replayed": "true", "Original-Request": saved["request_id"]},
                )
                return response
            store.idempotency[slot] = {"fingerprint": fingerprint, "in_flight": True}
        try:
            try:
                response = self._run(request, handler)
            except StripeError as exc:
                response = json_response(exc.status, exc.to_dict(request.request_id))
        except Exception:
            with store.lock:
                store.idempotency.pop(slot, None)
            raise
        with store.lock:
            store.idempotency[slot] = {
                "fingerprint": fingerprint,
                "status": response.status,
                "body": response.body.decode(),
                "request_id": request.request_id,
            }
        response.headers.setdefault("Idempotency-Key", request.idempotency_key)
        return response


def json_response(status: int, data) -> Response:
    return Response(status, json.dumps(data, indent=2).encode(), "application/json")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stripe-emulator"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms delayed-ACK stalls
    emulator: Emulator

    def log_message(self, format, *args):  # keep test output quiet
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        response = self.server.emulator.handle(self.command, self.path, headers, body)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_DELETE = _serve


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str = "127.0.0.1", port: int = 12111, verbose: bool = False, **options):
        self.emulator = Emulator(**options)
        self.verbose = verbose
        super().__init__((host, port), _Handler)
        bound_host, bound_port = self.server_address[:2]
        self.emulator.base_url = f"http://{bound_host}:{bound_port}"
        self.emulator.webhooks.start()
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return self.emulator.base_url

    def start_background(self) -> str:
        self._thread = threading.Thread(target=self.serve_forever, name="stripe-emulator", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.emulator.webhooks.stop()
