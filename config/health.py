"""Liveness and readiness probes."""

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    """The process is alive. Touches no dependency."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return f"database unavailable: {exc.__class__.__name__}"
    return None


def _check_cache() -> str | None:
    if not settings.REDIS_URL:
        return None
    try:
        cache.set("readyz-probe", "1", timeout=5)
        if cache.get("readyz-probe") != "1":
            return "cache did not return what was stored"
    except Exception as exc:  # noqa: BLE001
        return f"cache unavailable: {exc.__class__.__name__}"
    return None


def _check_broker() -> str | None:
    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    try:
        from config.celery import app

        # The URL from settings, the same one the condition above looked at.
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return f"broker unavailable: {exc.__class__.__name__}"
    return None


@never_cache
@require_GET
def readyz(request):
    """Ready to serve: the database answers, and the cache and broker when configured."""
    checks = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
    results = {}
    failures = {}
    for name, check in checks.items():
        problem = check()
        if problem is None:
            results[name] = "ok"
        else:
            results[name] = "failed"
            failures[name] = problem
    if failures:
        return JsonResponse({"status": "unavailable", "checks": results, "failures": failures}, status=503)
    return JsonResponse({"status": "ok", "checks": results})
