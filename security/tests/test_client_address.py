"""Issue 19: every part of the site that keys something on the client's address (axes' lockouts, DRF's
throttles, allauth's sign-in/sign-up/reset limits, the audit trail) reads it the same way, from
PROXY_COUNT: behind a proxy each visitor keeps their own address and limits."""

import pytest
import time_machine
from django.conf import settings
from django.test import RequestFactory, override_settings
from django.utils import timezone

from accounts.audit import client_address


def test_one_setting_says_how_many_proxies_for_everyone():
    assert settings.AXES_IPWARE_PROXY_COUNT == settings.PROXY_COUNT
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == settings.PROXY_COUNT
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.PROXY_COUNT


@pytest.mark.parametrize("proxies", [0, 1])
def test_allauth_and_the_audit_trail_agree_on_the_address(proxies):
    from allauth.account.adapter import get_adapter

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.9")
    with override_settings(PROXY_COUNT=proxies, ALLAUTH_TRUSTED_PROXY_COUNT=proxies):
        expected = "203.0.113.9" if proxies else "10.0.0.2"
        assert client_address(request) == expected
        assert get_adapter(request).get_client_ip(request) == expected


@pytest.mark.django_db
@override_settings(PROXY_COUNT=1, ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_one_visitors_sign_ins_do_not_use_up_anothers(client):
    """allauth allows 30 sign-ins a minute per address: behind the proxy they are counted per visitor."""
    from accounts.tests.factories import DEFAULT_PASSWORD, VerifiedUserFactory, solved_captcha

    user = VerifiedUserFactory()

    def sign_in(address):
        client.logout()
        return client.post(
            "/accounts/login/",
            {"login": user.email, "password": DEFAULT_PASSWORD, "captcha": solved_captcha()},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=address,
        )

    # All within one minute of the limit's window, however slow the machine is.
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(30):
            sign_in("203.0.113.9")
        assert sign_in("203.0.113.9").status_code == 429
        assert sign_in("198.51.100.7").status_code == 302
