"""Liveness and readiness probes."""

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import JsonResponse
from django.utils.http import http_date
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .sharedcache import lean

# What never_cache sets, written once: patching the header per request was a twentieth of a probe's cost.
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


@lean  # answered by config.sharedcache.SharedCacheMiddleware, without session, auth, CSRF or messages
@require_GET
def healthz(request):
    """The process is alive. Touches no dependency."""
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = NEVER_CACHE
    response["Expires"] = http_date()
    return response


def _check_database() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return f"database unavailable: {exc.__class__.__name__}"
    return None


# A check returns None (ok), one of these notes (nothing to check), or the problem.
NOT_CONFIGURED = "not configured"  # the embedded default has no such server
SAME_AS_CACHE = "same as cache"
_NOTES = (NOT_CONFIGURED, SAME_AS_CACHE)
_IN_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.",
    "django.core.cache.backends.dummy.",
    "operations.cache.",  # the locmem cache counting hits for the metrics
)


def _networked(alias: str) -> bool:
    config = settings.CACHES.get(alias)
    return bool(config) and not config["BACKEND"].startswith(_IN_PROCESS_CACHES)


def _probe_cache(alias: str) -> str | None:
    try:
        backend = caches[alias]
        backend.set("readyz-probe", "1", timeout=5)
        if backend.get("readyz-probe") != "1":
            return f"{alias} cache did not return what was stored"
    except Exception as exc:  # noqa: BLE001
        return f"cache unavailable: {exc.__class__.__name__}"
    return None


def _check_cache() -> str | None:
    """The evicting cache role (REDIS_CACHE_URL)."""
    return _probe_cache("default") if _networked("default") else NOT_CONFIGURED


def _check_state() -> str | None:
    """The non-evicting role for throttle counters, CAPTCHA replay marks and locks (REDIS_STATE_URL), when it
    is a server of its own rather than the cache's."""
    if not _networked("state"):
        return NOT_CONFIGURED
    if settings.CACHES["state"].get("LOCATION") == settings.CACHES["default"].get("LOCATION"):
        return SAME_AS_CACHE
    return _probe_cache("state")


def _check_broker() -> str | None:
    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        return NOT_CONFIGURED
    try:
        from config.celery import app

        # The URL from settings, the same one the condition above looked at.
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return f"broker unavailable: {exc.__class__.__name__}"
    return None


def dependency_problems() -> dict[str, str | None]:
    """Each dependency /readyz checks, with its problem or None (also exported as lyceum_readiness)."""
    checks = {"database": _check_database, "cache": _check_cache, "state": _check_state, "broker": _check_broker}
    return {name: check() for name, check in checks.items()}


def failing(problem: str | None) -> bool:
    """A check's answer is a failure (not ok, and not a note such as "not configured")."""
    return problem is not None and problem not in _NOTES


@never_cache
@require_GET
def readyz(request):
    """Ready to serve: the database answers, and each Redis role (cache, state, broker) when configured."""
    results = {}
    failures = {}
    for name, problem in dependency_problems().items():
        if problem is None:
            results[name] = "ok"
        elif problem in _NOTES:
            results[name] = problem
        else:
            results[name] = "failed"
            failures[name] = problem
    if failures:
        return JsonResponse({"status": "unavailable", "checks": results, "failures": failures}, status=503)
    return JsonResponse({"status": "ok", "checks": results})
