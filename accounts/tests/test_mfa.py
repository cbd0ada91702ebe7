"""Issue 19 hardening: two-factor authentication for everyone from the profile, required for staff before
the console (accounts/mfa.py, accounts/console.py)."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.core.management import call_command
from django.urls import reverse

from accounts.interface import staff_without_mfa
from accounts.tests.support import give_totp, mark_session_mfa

from .factories import SuperUserFactory, VerifiedUserFactory, staff_in

pytestmark = pytest.mark.django_db


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))


@pytest.mark.parametrize("make", [SuperUserFactory, lambda: staff_in("Finance")])
def test_staff_without_mfa_are_sent_to_set_it_up_and_cannot_reach_any_console_page(client, make):
    staff = make()
    client.force_login(staff, mfa=False)
    for url in ("/admin/", reverse("admin:billing_payment_changelist"), reverse("admin:billing_revenue")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/accounts/2fa/totp/activate/?next={url.replace('/', '%2F')}"
    assert client.post(reverse("admin:billing_payment_changelist"), {"action": "refund_in_full"}).status_code == 302


def test_staff_with_an_authenticator_confirm_a_code_in_a_session_that_did_not_use_it(client):
    staff = staff_in("Finance")
    give_totp(staff)
    client.force_login(staff, mfa=False)  # e.g. a session from before the authenticator was added
    response = client.get("/admin/")
    assert response["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fadmin%2F"
    mark_session_mfa(client, staff, staff.authenticator_set.get())
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db(transaction=True)  # allauth announces the new authenticator on commit, as in production
def test_setting_up_the_authenticator_opens_the_console(client):
    """The real flow: sign in with the password (recent), activate TOTP with a code, then the console opens."""
    staff = staff_in("Support")
    client.force_login(staff, mfa=False)
    from allauth.account.internal.flows.login import record_authentication
    from django.http import HttpRequest

    request = HttpRequest()
    request.session = client.session
    # allauth asks for the password again before an authenticator is added; this is what that records.
    record_authentication(request, staff, "password", reauthenticated=True)
    request.session.save()
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=staff, type="totp").exists()
    assert client.get("/admin/").status_code == 200


def test_learners_are_offered_mfa_on_their_profile_and_sign_in_asks_for_the_code(client, captcha):
    learner = VerifiedUserFactory()
    client.force_login(learner)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Two-factor authentication" in page and reverse("mfa_index") in page and "Off." in page
    # Adding an authenticator first asks for the password again.
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith("/accounts/reauthenticate/")
    authenticator = give_totp(learner)
    assert "On: signing in asks for a code" in client.get(reverse("accounts:profile")).content.decode()
    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": learner.email, "password": "correct-horse-battery-staple", "captcha": captcha()},
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not signed in before the code
    from allauth.mfa.utils import decrypt

    secret = decrypt(authenticator.data["secret"])
    assert client.post(reverse("mfa_authenticate"), {"code": _code(secret)}).status_code == 302
    assert client.session["_auth_user_id"] == str(learner.pk)


def test_staff_without_mfa_lists_active_staff_with_no_authenticator():
    """For launch_check (obs): accounts.interface.staff_without_mfa()."""
    without = staff_in("Finance", email="nomfa@example.com")
    with_mfa = staff_in("Support")
    give_totp(with_mfa)
    staff_in("Support", email="gone@example.com", is_active=False)
    VerifiedUserFactory()
    assert list(staff_without_mfa()) == [without]


def test_the_demo_admin_has_a_known_authenticator_and_demo_totp_prints_its_code(capsys):
    call_command("seed_demo")
    from accounts.management.commands.seed_demo import DEMO_ADMIN_TOTP_SECRET
    from accounts.models import User

    admin_user = User.objects.get(email="admin@lyceum.test")
    assert not staff_without_mfa().filter(pk=admin_user.pk).exists()
    capsys.readouterr()
    call_command("demo_totp")
    printed = capsys.readouterr().out
    assert printed.startswith("admin@lyceum.test: ") and printed.split()[1] == _code(DEMO_ADMIN_TOTP_SECRET)
