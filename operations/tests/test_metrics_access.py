"""/metrics is not public: configured networks or the bearer token, refused otherwise."""

import pytest

from operations.tests.conftest import METRICS_TOKEN

pytestmark = pytest.mark.django_db


@pytest.fixture
def locked(settings):
    settings.METRICS_BEARER_TOKEN = METRICS_TOKEN
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16", "fd00::/8"]
    settings.METRICS_BEHIND_PROXY = False


def get(client, remote="127.0.0.1", **headers):
    return client.get("/metrics", REMOTE_ADDR=remote, **headers)


def test_refused_without_a_token_from_outside_the_networks(client, locked):
    response = get(client)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"lyceum_" not in response.content and b"django_http" not in response.content


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong-token", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x", "Bearer", ""],
)
def test_refused_with_a_wrong_token(client, locked, authorization):
    assert get(client, HTTP_AUTHORIZATION=authorization).status_code == 401


def test_no_token_configured_means_no_token_is_accepted(client, locked, settings):
    settings.METRICS_BEARER_TOKEN = ""
    assert get(client, HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_served_with_the_token_from_anywhere(client, locked):
    response = get(client, remote="203.0.113.9", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"lyceum_payments_total" in response.content or b"lyceum_payments" in response.content


@pytest.mark.parametrize("remote", ["10.20.3.4", "fd00::17", "::ffff:10.20.3.4"])
def test_served_to_the_configured_networks(client, locked, remote):
    assert get(client, remote=remote).status_code == 200


def test_behind_the_proxy_a_forwarded_request_needs_the_token(client, locked, settings):
    settings.METRICS_BEHIND_PROXY = True
    # The proxy's own address is in the allowed network, but the caller is somewhere on the internet.
    assert get(client, remote="10.20.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 401
    forwarded = get(
        client, remote="10.20.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}"
    )
    assert forwarded.status_code == 200
    assert get(client, remote="10.20.0.1").status_code == 200  # Prometheus scraping the pod directly


def test_answered_for_any_host_name_and_never_redirected(client, locked, settings):
    """Prometheus scrapes each instance by its address, not a name in ALLOWED_HOSTS, over plain HTTP."""
    settings.SECURE_SSL_REDIRECT = True
    response = get(client, remote="10.20.3.4", HTTP_HOST="10.20.3.4:8000")
    assert response.status_code == 200
    assert get(client, HTTP_HOST="10.20.3.4:8000").status_code == 401


def test_only_reads(client, locked):
    response = client.post("/metrics", REMOTE_ADDR="10.20.3.4")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_a_bad_network_setting_refuses_to_start():
    from django.core.exceptions import ImproperlyConfigured

    from config.settings.base import _check_networks

    assert _check_networks(["10.0.0.0/8", "::1"]) == ["10.0.0.0/8", "::1"]
    with pytest.raises(ImproperlyConfigured, match="'10.0.0.300/8' is not a network"):
        _check_networks(["10.0.0.300/8"])
