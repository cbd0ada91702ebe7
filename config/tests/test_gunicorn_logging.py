"""Successful probes leave no access line; failing probes and every other request still do."""

import datetime
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from config.gunicorn_logging import ProbeQuietLogger


def access_lines(tmp_path, path: str, status: int) -> list[str]:
    log = tmp_path / "access.log"
    config = Config()
    config.set("accesslog", str(log))
    logger = ProbeQuietLogger(config)
    response = SimpleNamespace(status=f"{status} X", status_code=status, sent=15, headers=[], response_length=15)
    request = SimpleNamespace(
        headers=[("HOST", "127.0.0.1")], method="GET", uri=path, path=path, query="", version=(1, 1)
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    logger.access(response, request, environ, datetime.timedelta(milliseconds=2))
    for handler in logger.access_log.handlers:
        handler.flush()
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_a_successful_probe_is_not_logged(tmp_path, path):
    assert access_lines(tmp_path, path, 200) == []


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_a_failing_probe_is_logged(tmp_path, path):
    lines = access_lines(tmp_path, path, 503)
    assert len(lines) == 1 and path in lines[0] and " 503 " in lines[0]


def test_every_other_request_is_logged(tmp_path):
    lines = access_lines(tmp_path, "/api/v1/courses/", 200)
    assert len(lines) == 1 and "/api/v1/courses/" in lines[0]


def test_the_gunicorn_configuration_uses_it():
    import runpy
    from pathlib import Path

    settings = runpy.run_path(str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py"))
    config = Config()
    config.set("logger_class", settings["logger_class"])
    assert config.logger_class is ProbeQuietLogger
