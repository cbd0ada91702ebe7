"""The metrics endpoint of the Celery worker and of beat, which serve no HTTP of their own.

Started from config/celery.py when the process starts (worker_init, beat_init) if METRICS_EXPORTER_PORT
is set; same access rule as the site's /metrics. In the prefork worker every pool process writes its
counters to PROMETHEUS_MULTIPROC_DIR (one directory per process type) and the exporter, in the parent
process, sums them. Scrape-time gauges (database, broker) are left to the web's /metrics.
"""

import logging
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings

from . import access, exposition, multiproc

logger = logging.getLogger(__name__)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def metrics_app(environ, start_response):
    if environ.get("PATH_INFO") not in ("/", "/metrics"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not found.\n"]
    if not access.allowed(environ):
        start_response(
            "401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", 'Bearer realm="metrics"')]
        )
        return [b"Metrics are served only to the monitoring network or with the bearer token.\n"]
    body, content_type = exposition.render(environ.get("HTTP_ACCEPT", ""), scrape_gauges=False)
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def serve(port: int, address: str = "127.0.0.1") -> WSGIServer:
    """Serve the metrics page in a daemon thread; returns the server (its port when 0 was asked)."""
    server = make_server(address, port, metrics_app, server_class=_Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-exporter", daemon=True).start()
    return server


def start_for_process(kind: str) -> WSGIServer | None:
    if kind == "worker":
        multiproc.reset()
    port = settings.METRICS_EXPORTER_PORT
    if not port:
        return None
    server = serve(port, settings.METRICS_EXPORTER_ADDRESS)
    logger.info("Celery %s metrics on http://%s:%s/metrics", kind, *server.server_address[:2])
    return server
