"""Issue 19 hardening: sign-in and password-reset throttles, tested (allauth's rate limits, axes' lockout).

Rates come from settings (allauth's defaults: reset 5 a minute per address and 20 per IP; sign-in 30 a
minute per IP); the lockout after 5 wrong passwords is axes' (test_views.TestLockout)."""

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from .factories import VerifiedUserFactory

pytestmark = pytest.mark.django_db


def test_password_reset_is_limited_per_address_and_the_limit_lifts_after_a_minute(client, user):
    url = reverse("account_reset_password")
    with time_machine.travel("2026-12-01 09:00:00+00:00", tick=False) as clock:
        answers = [client.post(url, {"email": user.email}).status_code for _ in range(6)]
        assert answers == [302] * 5 + [429]
        assert len(mail.outbox) == 5  # the sixth asked for no mail
        other = VerifiedUserFactory()
        assert client.post(url, {"email": other.email}).status_code == 302  # another address is not held up
        clock.shift(61)
        assert client.post(url, {"email": user.email}).status_code == 302


def test_password_reset_is_limited_per_ip_across_addresses(client):
    url = reverse("account_reset_password")
    with time_machine.travel("2026-12-01 09:00:00+00:00", tick=False):
        answers = [client.post(url, {"email": f"nobody{n}@example.com"}).status_code for n in range(21)]
    assert answers[:20] == [302] * 20 and answers[20] == 429


def test_sign_in_attempts_are_limited_per_ip(client, captcha):
    url = reverse("account_login")
    with time_machine.travel("2026-12-01 09:00:00+00:00", tick=False):
        answers = [
            client.post(
                url, {"login": f"nobody{n}@example.com", "password": "wrong-password", "captcha": captcha()}
            ).status_code
            for n in range(31)
        ]
    # Unknown addresses fail the form (200); past 30 a minute from one IP the sign-in page answers 429.
    assert set(answers[:10]) == {200} and answers[-1] == 429
