"""API_ANON_RATE / API_USER_RATE: the defaults, a custom rate, and "off" (used by the load benchmark in bench/)."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

CODE = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']))"
)


def rates_under(env: dict[str, str]) -> dict:
    """The throttle rates a fresh interpreter computes from exactly this environment."""
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    clean |= {"DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONDONTWRITEBYTECODE": "1"} | env
    result = subprocess.run(
        [sys.executable, "-c", CODE], cwd=settings.BASE_DIR, env=clean, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {"anon": "100/minute", "user": "1000/minute"}),
        ({"API_ANON_RATE": "", "API_USER_RATE": ""}, {"anon": "100/minute", "user": "1000/minute"}),
        ({"API_ANON_RATE": "20/second", "API_USER_RATE": "5000/hour"}, {"anon": "20/second", "user": "5000/hour"}),
        ({"API_ANON_RATE": "off", "API_USER_RATE": "OFF"}, {"anon": None, "user": None}),
    ],
    ids=["unset", "empty", "custom", "off"],
)
def test_the_rates_come_from_the_environment(env, expected):
    assert rates_under(env) == expected


def test_a_rate_of_none_lets_every_request_through():
    # What "off" relies on: DRF's throttle allows everything when its rate is None, touching no cache.
    from config.api import AnonRateThrottle

    class Unlimited(AnonRateThrottle):
        THROTTLE_RATES = {"anon": None}

    throttle = Unlimited()
    assert throttle.rate is None
    assert throttle.allow_request(request=None, view=None) is True
