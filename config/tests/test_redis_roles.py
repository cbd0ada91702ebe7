"""Two Redis roles, as production runs them: the cache may evict (allkeys-lru), the broker and the "state"
cache (throttle counters, CAPTCHA replay marks, locks) must not. Each has its own URL and its own /readyz
check; evicting the whole cache loses no security state."""

import os

import pytest
from django.core.cache import caches
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.tests.factories import solved_captcha
from accounts.tests.test_views import SIGNUP_URL, captcha_message, signup_data
from config.api import AnonRateThrottle, UserRateThrottle

from .fresh_process import django_json

CLOSED_PORT = "redis://127.0.0.1:6390/0"
needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set")


def _redis(url: str) -> dict:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }


LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "evicting"}


def settings_under(environment: dict[str, str]) -> dict:
    return django_json(
        "{'cache': settings.CACHES['default'].get('LOCATION'), 'state': settings.CACHES['state'].get('LOCATION'),"
        " 'state_prefix': settings.CACHES['state'].get('KEY_PREFIX'), 'broker': settings.CELERY_BROKER_URL,"
        " 'eager': settings.CELERY_TASK_ALWAYS_EAGER,"
        " 'visibility': settings.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'],"
        " 'altcha': settings.ALTCHA_CACHE_ALIAS}",
        environment,
    )


def test_each_role_has_its_own_url_and_redis_url_is_the_fallback():
    separate = settings_under(
        {
            "REDIS_URL": "redis://fallback:6379/0",
            "REDIS_CACHE_URL": "redis://redis-cache:6379/0",
            "CELERY_BROKER_URL": "redis://redis-broker:6379/0",
            "REDIS_STATE_URL": "redis://redis-broker:6379/1",
            "CELERY_VISIBILITY_TIMEOUT": "900",
        }
    )
    assert separate == {
        "cache": "redis://redis-cache:6379/0",
        "state": "redis://redis-broker:6379/1",
        "state_prefix": "state",
        "broker": "redis://redis-broker:6379/0",
        "eager": False,
        "visibility": 900,
        "altcha": "state",
    }
    single = settings_under({"REDIS_URL": "redis://one:6379/2"})
    assert (single["cache"], single["state"], single["broker"]) == ("redis://one:6379/2",) * 3
    assert single["visibility"] == 3600  # longer than the longest retry countdown (600 s)
    embedded = settings_under({})
    assert embedded["broker"] == "" and embedded["eager"] is True


@pytest.mark.django_db
def test_readyz_checks_the_state_role_on_its_own(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with override_settings(CACHES={"default": LOCMEM, "state": _redis(CLOSED_PORT)}):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {
        "database": "ok",
        "cache": "not configured",
        "state": "failed",
        "broker": "not configured",
    }
    assert set(body["failures"]) == {"state"}


@needs_redis
@pytest.mark.django_db
def test_readyz_names_each_failed_role_and_passes_when_all_answer(client, settings):
    live = os.environ["REDIS_URL"]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = live
    with override_settings(CACHES={"default": _redis(CLOSED_PORT), "state": _redis(live + "?socket_timeout=1")}):
        body = client.get("/readyz").json()
    assert body["checks"] == {"database": "ok", "cache": "failed", "state": "ok", "broker": "ok"}
    settings.CELERY_BROKER_URL = CLOSED_PORT
    with override_settings(CACHES={"default": _redis(live), "state": _redis(live + "?socket_timeout=1")}):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "state": "ok", "broker": "failed"}
    settings.CELERY_BROKER_URL = live
    with override_settings(CACHES={"default": _redis(live), "state": _redis(live + "?socket_timeout=1")}):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "state": "ok", "broker": "ok"}


@pytest.fixture
def evicting_cache_apart(settings):
    """The evicting cache on its own (in memory here), the state cache where the settings put it."""
    with override_settings(CACHES={"default": LOCMEM, "state": settings.CACHES["state"]}):
        caches["default"].clear()
        yield caches["default"]


@pytest.mark.django_db
def test_a_throttle_counter_survives_the_cache_being_evicted(test_urls, evicting_cache_apart, monkeypatch):
    rates = {"anon": "1/minute", "user": "1000/minute"}
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    api = APIClient()
    assert api.get("/api/v1/test/ping/", REMOTE_ADDR="203.0.113.7").status_code == 200
    evicting_cache_apart.clear()  # allkeys-lru under memory pressure
    assert api.get("/api/v1/test/ping/", REMOTE_ADDR="203.0.113.7").status_code == 429


@pytest.mark.django_db
def test_a_captcha_replay_mark_survives_the_cache_being_evicted(client, evicting_cache_apart):
    payload = solved_captcha()
    client.post(SIGNUP_URL, signup_data(payload, email="first@example.com"))
    evicting_cache_apart.clear()
    response = client.post(SIGNUP_URL, signup_data(payload, email="second@example.com"))
    assert response.context["form"].errors["captcha"] == [captcha_message("replay")]
