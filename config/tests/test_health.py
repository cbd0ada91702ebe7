"""/healthz (alive, no dependencies) and /readyz (database, cache and broker when configured)."""

import os

import pytest
from django.test import override_settings

CLOSED_PORT_REDIS = "redis://127.0.0.1:6390/0"
DEAD_REDIS_CACHE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": CLOSED_PORT_REDIS,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }
}
needs_redis = pytest.mark.redis


def test_healthz_touches_no_dependency(client):
    # No database access is allowed in this test (no db fixture), and the cache is a closed port.
    with override_settings(REDIS_URL=CLOSED_PORT_REDIS, CACHES=DEAD_REDIS_CACHE):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_ok_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_skips_cache_and_broker_when_not_configured(client):
    with override_settings(REDIS_URL="", CELERY_BROKER_URL="", CELERY_TASK_ALWAYS_EAGER=True):
        body = client.get("/readyz").json()
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_readyz_reports_a_stopped_redis_cache(client):
    with override_settings(REDIS_URL=CLOSED_PORT_REDIS, CACHES=DEAD_REDIS_CACHE, CELERY_TASK_ALWAYS_EAGER=True):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"] == "failed"
    assert body["checks"]["database"] == "ok"
    assert "cache" in body["failures"]
    assert body["failures"]["cache"].startswith("cache unavailable")


@pytest.mark.django_db
def test_readyz_reports_a_stopped_broker_when_tasks_are_not_eager(client):
    with override_settings(CELERY_BROKER_URL=CLOSED_PORT_REDIS, CELERY_TASK_ALWAYS_EAGER=False, REDIS_URL=""):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"] == "failed"
    assert body["failures"]["broker"].startswith("broker unavailable")
    assert set(body["failures"]) == {"broker"}


@pytest.mark.django_db
def test_readyz_names_every_failure_at_once(client):
    with override_settings(
        REDIS_URL=CLOSED_PORT_REDIS,
        CACHES=DEAD_REDIS_CACHE,
        CELERY_BROKER_URL=CLOSED_PORT_REDIS,
        CELERY_TASK_ALWAYS_EAGER=False,
    ):
        body = client.get("/readyz").json()
    assert set(body["failures"]) == {"cache", "broker"}


@needs_redis
@pytest.mark.django_db
def test_readyz_with_a_running_redis(client, settings):
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "state": "same as cache", "broker": "ok"}


def test_readyz_is_get_only(client, db):
    assert client.post("/readyz").status_code == 405


def test_favicon_ico_redirects_to_the_site_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("img/favicon.svg")
    from django.contrib.staticfiles import finders

    assert finders.find("img/favicon.svg")  # the icon the redirect points at ships with the site
