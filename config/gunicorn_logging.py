"""gunicorn's logger, without an access line for a liveness or readiness probe that succeeded.

Load balancers and Kubernetes call /healthz and /readyz every few seconds on every instance: their lines
made up most of the access log and building each one (gunicorn's `atoms` of every header) was a tenth of
a probe's cost (bench/README.md). Probes stay counted per view and status in /metrics; a probe that fails
(any status from 400) is still logged, as is every other request.
"""

from gunicorn.glogging import Logger

PROBE_PATHS = frozenset({"/healthz", "/readyz"})


class ProbeQuietLogger(Logger):
    def access(self, resp, req, environ, request_time):
        status = getattr(resp, "status_code", None)
        if environ.get("PATH_INFO") in PROBE_PATHS and status is not None and status < 400:
            return
        super().access(resp, req, environ, request_time)
