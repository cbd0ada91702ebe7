"""A request id on every response and log line; JSON logs in production; Sentry only with a DSN."""

import io
import json
import logging
import logging.config
import re

import pytest
import sentry_sdk
from django.conf import settings

from config.logging import RequestIDFilter, request_id_var
from config.sentry import init_sentry
from config.settings.base import build_logging

pytestmark = pytest.mark.django_db


class TestRequestID:
    def test_every_response_has_one(self, client):
        first = client.get("/healthz")["X-Request-ID"]
        second = client.get("/")["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", first)
        assert first != second

    def test_api_errors_have_one_too(self, client):
        assert client.get("/api/v1/me/")["X-Request-ID"]
        assert client.get("/api/v1/nothing/")["X-Request-ID"]

    def test_a_sane_incoming_id_is_echoed(self, client):
        response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234abcd.5678")
        assert response["X-Request-ID"] == "lb-1234abcd.5678"

    @pytest.mark.parametrize(
        "unsafe",
        ["short", "has spaces in it", "x" * 65, "evil\\ninjected", "<script>alert(1)</script>", "a;b=c;d=e;f"],
    )
    def test_an_unsafe_incoming_id_is_replaced(self, client, unsafe):
        response = client.get("/healthz", HTTP_X_REQUEST_ID=unsafe)
        assert response["X-Request-ID"] != unsafe
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])

    def test_log_records_carry_the_request_id(self, client, caplog, test_urls):
        # caplog's handler stands in for the console handler, with the same filter.
        caplog.handler.addFilter(RequestIDFilter())
        with caplog.at_level(logging.ERROR, logger="lyceum.api"):
            response = client.get("/api/v1/test/crash/", HTTP_X_REQUEST_ID="trace-abcdef123")
        assert response.status_code == 500
        records = [r for r in caplog.records if r.name == "lyceum.api"]
        assert records
        assert {r.request_id for r in records} == {"trace-abcdef123"}
        assert response["X-Request-ID"] == "trace-abcdef123"

    def test_django_request_lines_carry_it_too(self, client, caplog):
        # Django logs "Not Found" after the middleware chain has returned.
        caplog.handler.addFilter(RequestIDFilter())
        with caplog.at_level(logging.WARNING, logger="django.request"):
            client.get("/no-such-page/", HTTP_X_REQUEST_ID="trace-notfound1")
        records = [r for r in caplog.records if r.name == "django.request"]
        assert records
        assert {r.request_id for r in records} == {"trace-notfound1"}

    def test_the_id_is_only_set_during_the_request(self, client):
        client.get("/healthz", HTTP_X_REQUEST_ID="trace-abcdef123")
        assert request_id_var.get() == "-"

    def test_the_console_handler_has_the_filter(self):
        handler = settings.LOGGING["handlers"]["console"]
        assert "request_id" in handler["filters"]
        assert settings.LOGGING["filters"]["request_id"]["()"] == "config.logging.RequestIDFilter"


class TestLogFormats:
    def _log_through(self, fmt: str, monkeypatch) -> str:
        stream = io.StringIO()
        config = build_logging(fmt, "INFO")
        config["handlers"]["console"]["stream"] = stream
        config["root"] = {"handlers": [], "level": "INFO"}
        config["loggers"] = {"lyceum.test": {"handlers": ["console"], "level": "INFO", "propagate": False}}
        logging.config.dictConfig(config)
        token = request_id_var.set("req-12345678")
        try:
            logging.getLogger("lyceum.test").info("paid %s", "order-1")
        finally:
            request_id_var.reset(token)
            logging.config.dictConfig(settings.LOGGING)
        return stream.getvalue()

    def test_json_lines_with_the_request_id(self, monkeypatch):
        line = json.loads(self._log_through("json", monkeypatch).strip())
        assert line["message"] == "paid order-1"
        assert line["request_id"] == "req-12345678"
        assert line["level"] == "INFO"
        assert line["logger"] == "lyceum.test"
        assert "time" in line

    def test_text_lines_with_the_request_id(self, monkeypatch):
        assert "[req-12345678] lyceum.test: paid order-1" in self._log_through("text", monkeypatch)


class TestSentry:
    def test_not_initialised_without_a_dsn(self):
        assert init_sentry("", "test", "r1") is False
        assert sentry_sdk.get_client().dsn is None

    def test_initialised_with_a_dsn_and_the_environment(self):
        try:
            assert init_sentry("https://public@127.0.0.1/1", "staging", "abc123") is True
            client = sentry_sdk.get_client()
            assert client.dsn == "https://public@127.0.0.1/1"
            assert client.options["environment"] == "staging"
            assert client.options["release"] == "abc123"
            assert client.options["send_default_pii"] is False
            integrations = {type(i).__name__ for i in client.integrations.values()}
            assert {"DjangoIntegration", "CeleryIntegration"} <= integrations
        finally:
            sentry_sdk.get_client().close()
            sentry_sdk.init()
        assert sentry_sdk.get_client().dsn is None
