"""Per-IP throttling for anonymous callers, a higher per-user limit, the rate-limit headers and 429."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.tests.factories import APIKeyFactory, VerifiedUserFactory
from config.api import AnonRateThrottle, UserRateThrottle

pytestmark = pytest.mark.django_db

PING = "/api/v1/test/ping/"


@pytest.fixture
def api(test_urls):
    return APIClient()


def set_rates(monkeypatch, anon: str, user: str):
    # DRF reads the rates into the class when it is imported, so override_settings would not reach them.
    rates = {"anon": anon, "user": user}
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)


def test_the_configured_rates():
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["anon"] == "100/minute"
    assert int(rates["user"].split("/")[0]) > 100


def test_anonymous_callers_get_100_a_minute_per_ip(api):
    for n in range(1, 101):
        response = api.get(PING, REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 200, n
        assert response["X-RateLimit-Limit"] == "100"
        assert response["X-RateLimit-Remaining"] == str(100 - n)

    throttled = api.get(PING, REMOTE_ADDR="203.0.113.7")
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"
    assert throttled["X-RateLimit-Limit"] == "100"
    assert throttled["X-RateLimit-Remaining"] == "0"
    assert 0 < int(throttled["Retry-After"]) <= 60

    # Another address has its own allowance.
    other = api.get(PING, REMOTE_ADDR="198.51.100.1")
    assert other.status_code == 200
    assert other["X-RateLimit-Remaining"] == "99"


def test_a_forged_forwarded_for_header_does_not_reset_the_allowance(api, monkeypatch):
    set_rates(monkeypatch, anon="3/minute", user="1000/minute")
    for n in range(3):
        assert api.get(PING, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code == 200
    assert api.get(PING, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="10.0.0.99").status_code == 429


def test_signed_in_callers_have_a_higher_per_user_limit(api, monkeypatch):
    set_rates(monkeypatch, anon="2/minute", user="5/minute")
    key = APIKeyFactory(user=VerifiedUserFactory())
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key.raw}"}
    for n in range(1, 6):
        response = api.get(PING, REMOTE_ADDR="203.0.113.7", **auth)
        assert response.status_code == 200, n
        assert response["X-RateLimit-Limit"] == "5"
        assert response["X-RateLimit-Remaining"] == str(5 - n)
    throttled = api.get(PING, REMOTE_ADDR="203.0.113.7", **auth)
    assert throttled.status_code == 429
    assert throttled["Retry-After"]
    # The limit is per user: another user from the same address is not affected.
    other = APIKeyFactory(user=VerifiedUserFactory())
    assert api.get(PING, REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION=f"Bearer {other.raw}").status_code == 200


def test_the_user_limit_applies_to_real_endpoints(api):
    key = APIKeyFactory(user=VerifiedUserFactory())
    response = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key.raw}")
    assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"].split("/")[0]


def test_the_window_passes(api, monkeypatch):
    import datetime

    import time_machine

    set_rates(monkeypatch, anon="1/minute", user="1000/minute")
    start = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        assert api.get(PING).status_code == 200
        assert api.get(PING).status_code == 429
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        assert api.get(PING).status_code == 200


def test_counters_live_in_the_configured_cache(api, monkeypatch):
    from django.core.cache import caches

    set_rates(monkeypatch, anon="1/minute", user="1000/minute")
    api.get(PING, REMOTE_ADDR="203.0.113.9")
    # The non-evicting "state" cache: an evicted counter would hand the caller a fresh allowance.
    assert caches["state"].get("throttle_anon_203.0.113.9")
