import base64
import json
import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from accounts.forms import SignupForm
from accounts.models import APIKey, User

from .factories import DEFAULT_PASSWORD, APIKeyFactory, solved_captcha

pytestmark = pytest.mark.django_db

SIGNUP_URL = "/accounts/signup/"
LOGIN_URL = "/accounts/login/"
NEW_PASSWORD = "a-Very-long-passphrase-42"


def signup_data(captcha: str | None, email: str = "new.learner@example.com") -> dict:
    data = {"email": email, "display_name": "New Learner", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    if captcha is not None:
        data["captcha"] = captcha
    return data


def login(client, email, password, captcha=None):
    return client.post(LOGIN_URL, {"login": email, "password": password, "captcha": captcha or solved_captcha()})


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def captcha_message(code: str) -> str:
    return str(SignupForm.base_fields["captcha"].error_messages[code])


def tampered(payload: str) -> str:
    data = json.loads(base64.b64decode(payload))
    data["number"] = data["number"] + 1
    return base64.b64encode(json.dumps(data).encode()).decode()


class TestPages:
    def test_home_explains_the_product_and_offers_sign_up(self, client):
        response = client.get("/")
        assert response.status_code == 200
        assert b"Lyceum" in response.content
        assert reverse("account_signup").encode() in response.content

    def test_navigation_reflects_who_is_signed_in(self, client, user):
        assert b"Sign in" in client.get("/").content
        client.force_login(user)
        page = client.get("/").content.decode()
        assert user.name in page
        assert "Sign out" in page

    def test_sign_up_and_sign_in_pages_render_the_captcha(self, client):
        for url in (SIGNUP_URL, LOGIN_URL):
            response = client.get(url)
            assert response.status_code == 200
            assert b"<altcha-widget" in response.content
            assert b'name="captcha"' in response.content

    def test_profile_requires_sign_in(self, client):
        response = client.get(reverse("accounts:profile"))
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN_URL)


class TestSignUp:
    def test_sign_up_sends_a_verification_email_and_following_it_signs_in(self, client):
        response = client.post(SIGNUP_URL, signup_data(solved_captcha()))
        assert response.status_code == 302
        user = User.objects.get(email="new.learner@example.com")
        assert user.display_name == "New Learner"
        assert not signed_in(client)
        assert not EmailAddress.objects.get(user=user).verified

        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["new.learner@example.com"]
        assert message.subject.startswith("[Lyceum]")
        link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body).group(1)

        confirm_page = client.get(link)
        assert confirm_page.status_code == 200
        response = client.post(link)
        assert response.status_code == 302
        assert EmailAddress.objects.get(user=user).verified
        assert signed_in(client)
        assert int(client.session[SESSION_KEY]) == user.pk

    def test_cannot_sign_in_before_verifying(self, client, unverified_user):
        EmailAddress.objects.create(user=unverified_user, email=unverified_user.email, verified=False, primary=True)
        response = login(client, unverified_user.email, DEFAULT_PASSWORD)
        assert not signed_in(client)
        # allauth sends a fresh verification e-mail and shows "verification sent".
        assert response.status_code == 302
        assert "confirm-email" in response["Location"]
        assert len(mail.outbox) == 1

    def test_a_second_account_with_the_same_email_is_refused(self, client, user):
        response = client.post(SIGNUP_URL, signup_data(solved_captcha(), email=user.email.upper()))
        assert User.objects.filter(email__iexact=user.email).count() == 1
        assert not signed_in(client)
        # allauth's enumeration protection: same "verification sent" answer, and a notice to the owner.
        assert response.status_code in (200, 302)

    def test_weak_password_is_refused_with_a_message(self, client):
        data = signup_data(solved_captcha()) | {"password1": "short", "password2": "short"}
        response = client.post(SIGNUP_URL, data)
        assert response.status_code == 200
        assert "password1" in response.context["form"].errors
        assert not User.objects.exists()


class TestCaptcha:
    @pytest.mark.parametrize(
        ("payload", "error"),
        [
            (None, "required"),
            ("", "required"),
            ("garbage", "invalid"),
            (base64.b64encode(b'{"algorithm": "SHA-256"}').decode(), "invalid"),
        ],
    )
    def test_sign_up_without_a_valid_captcha_is_refused(self, client, payload, error):
        message = captcha_message(error)
        response = client.post(SIGNUP_URL, signup_data(payload))
        assert response.status_code == 200
        assert response.context["form"].errors["captcha"] == [message]
        assert message in response.content.decode()
        assert not User.objects.exists()
        assert mail.outbox == []

    def test_a_tampered_payload_is_refused(self, client):
        response = client.post(SIGNUP_URL, signup_data(tampered(solved_captcha())))
        assert response.context["form"].errors["captcha"] == [captcha_message("invalid")]
        assert not User.objects.exists()

    def test_a_payload_signed_with_another_key_is_refused(self, client):
        response = client.post(SIGNUP_URL, signup_data(solved_captcha(hmac_key="someone-elses-key")))
        assert response.context["form"].errors["captcha"] == [captcha_message("invalid")]
        assert not User.objects.exists()

    def test_a_used_payload_cannot_be_replayed(self, client):
        payload = solved_captcha()
        client.post(SIGNUP_URL, signup_data(payload, email="first@example.com"))
        assert User.objects.filter(email="first@example.com").exists()

        response = client.post(SIGNUP_URL, signup_data(payload, email="second@example.com"))
        assert response.context["form"].errors["captcha"] == [captcha_message("replay")]
        assert not User.objects.filter(email="second@example.com").exists()

    @pytest.mark.parametrize("payload", [None, "garbage"])
    def test_sign_in_without_a_valid_captcha_is_refused_even_with_the_right_password(self, client, user, payload):
        data = {"login": user.email, "password": DEFAULT_PASSWORD}
        if payload is not None:
            data["captcha"] = payload
        response = client.post(LOGIN_URL, data)
        assert response.status_code == 200
        assert "captcha" in response.context["form"].errors
        assert not signed_in(client)

    def test_sign_in_captcha_cannot_be_replayed(self, client, user):
        payload = solved_captcha()
        assert login(client, user.email, DEFAULT_PASSWORD, payload).status_code == 302
        client.logout()
        response = login(client, user.email, DEFAULT_PASSWORD, payload)
        assert response.context["form"].errors["captcha"] == [captcha_message("replay")]
        assert not signed_in(client)


class TestSignInAndLockout:
    def test_right_password_and_captcha_signs_in(self, client, user):
        response = login(client, user.email, DEFAULT_PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == reverse("marketplace:my_learning")  # issue 12: sign-in lands on My learning
        assert signed_in(client)

    def test_wrong_password_shows_a_form_error(self, client, user):
        response = login(client, user.email, "not-my-password")
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
        assert not signed_in(client)

    def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(self, client, user):
        limit = settings.AXES_FAILURE_LIMIT
        assert limit == 5
        for _ in range(limit - 1):
            assert login(client, user.email, "not-my-password").status_code == 200
        locked = login(client, user.email, "not-my-password")
        assert locked.status_code in (403, 429)
        assert b"Too many failed sign-in attempts" in locked.content
        assert "locked for 30 minutes after 5 wrong passwords" in locked.content.decode()

        refused = login(client, user.email, DEFAULT_PASSWORD)
        assert refused.status_code in (403, 429)
        assert b"Too many failed sign-in attempts" in refused.content
        assert not signed_in(client)

    @pytest.mark.parametrize(
        ("minutes", "text"), [(30, "30 minutes"), (1, "1 minute"), (60, "1 hour"), (150, "2 hours 30 minutes")]
    )
    def test_the_lockout_duration_reads_naturally(self, minutes, text):
        import datetime

        from accounts.templatetags.accounts_extras import human_duration

        assert human_duration(datetime.timedelta(minutes=minutes)) == text

    def test_the_lock_lifts_after_the_cooloff(self, client, user):
        import datetime

        import time_machine
        from django.utils import timezone

        now = timezone.now()
        with time_machine.travel(now, tick=False):
            for _ in range(settings.AXES_FAILURE_LIMIT):
                login(client, user.email, "not-my-password")
            assert login(client, user.email, DEFAULT_PASSWORD).status_code in (403, 429)
        later = now + datetime.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
        with time_machine.travel(later, tick=False):
            assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302
            assert signed_in(client)

    def test_a_success_resets_the_failure_count(self, client, user):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            login(client, user.email, "not-my-password")
        assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302
        client.logout()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert login(client, user.email, "not-my-password").status_code == 200
        assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302

    def test_lockout_is_per_account(self, client, user, other_user):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            login(client, user.email, "not-my-password")
        assert login(client, other_user.email, DEFAULT_PASSWORD).status_code == 302

    def test_sign_out(self, client, user):
        client.force_login(user)
        response = client.post(reverse("account_logout"))
        assert response.status_code == 302
        assert not signed_in(client)


class TestProfile:
    def test_edit_profile(self, client, user):
        client.force_login(user)
        response = client.post(
            reverse("accounts:profile"),
            {"display_name": "Ada", "timezone": "Asia/Tokyo", "marketing_emails": "on"},
        )
        assert response.status_code == 302
        user.refresh_from_db()
        assert (user.display_name, user.timezone, user.marketing_emails, user.learning_reminders) == (
            "Ada",
            "Asia/Tokyo",
            True,
            False,
        )

    def test_unknown_timezone_is_a_form_error(self, client, user):
        client.force_login(user)
        response = client.post(reverse("accounts:profile"), {"display_name": "Ada", "timezone": "Mars/Base"})
        assert response.status_code == 200
        assert "timezone" in response.context["form"].errors

    def test_create_key_shows_it_once_and_stores_the_digest(self, client, user):
        client.force_login(user)
        response = client.post(reverse("accounts:create_api_key"), {"name": "CI reporting"})
        assert response.status_code == 302
        key = APIKey.objects.get(user=user)

        first = client.get(reverse("accounts:profile")).content.decode()
        secret = re.search(r'id="new-api-key">([^<]+)<', first).group(1)
        assert secret.startswith(APIKey.PREFIX)
        assert key.digest != secret
        from accounts.services import hash_key

        assert key.digest == hash_key(secret)

        second = client.get(reverse("accounts:profile")).content.decode()
        assert secret not in second
        assert "CI reporting" in second
        assert key.prefix in second

    def test_create_key_with_a_duplicate_name_shows_the_reason(self, client, user):
        APIKeyFactory(user=user, name="deploy")
        client.force_login(user)
        response = client.post(reverse("accounts:create_api_key"), {"name": "deploy"}, follow=True)
        assert "already have an active key" in response.content.decode()
        assert user.api_keys.count() == 1

    def test_create_key_without_a_name_shows_the_reason(self, client, user):
        client.force_login(user)
        response = client.post(reverse("accounts:create_api_key"), {"name": ""}, follow=True)
        assert "Give the key a name" in response.content.decode()
        assert not user.api_keys.exists()

    def test_create_key_needs_post(self, client, user):
        client.force_login(user)
        assert client.get(reverse("accounts:create_api_key")).status_code == 405

    def test_revoke_own_key(self, client, user):
        key = APIKeyFactory(user=user)
        client.force_login(user)
        response = client.post(reverse("accounts:revoke_api_key", args=[key.pk]), follow=True)
        assert "revoked" in response.content.decode()
        key.refresh_from_db()
        assert key.revoked_at is not None

    def test_cannot_revoke_another_users_key(self, client, user, other_user):
        key = APIKeyFactory(user=other_user)
        client.force_login(user)
        response = client.post(reverse("accounts:revoke_api_key", args=[key.pk]), follow=True)
        assert "does not exist" in response.content.decode()
        key.refresh_from_db()
        assert key.revoked_at is None


class TestDeleteAccount:
    url = "/accounts/delete/"

    def test_page_asks_for_confirmation(self, client, user):
        client.force_login(user)
        response = client.get(self.url)
        assert response.status_code == 200
        assert b"DELETE" in response.content
        User.objects.get(pk=user.pk, is_active=True)

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"confirm": "delete", "password": DEFAULT_PASSWORD}, "confirm"),
            ({"confirm": "yes", "password": DEFAULT_PASSWORD}, "confirm"),
            ({"confirm": "DELETE", "password": "wrong-password"}, "password"),
            ({"confirm": "", "password": ""}, "confirm"),
        ],
    )
    def test_wrong_confirmation_or_password_changes_nothing(self, client, user, data, field):
        APIKeyFactory(user=user)
        client.force_login(user)
        response = client.post(self.url, data)
        assert response.status_code == 200
        assert field in response.context["form"].errors
        user.refresh_from_db()
        assert user.is_active
        assert user.api_keys.exists()
        assert signed_in(client)

    def test_deletion_erases_data_signs_out_and_keeps_the_row(self, client, user):
        key = APIKeyFactory(user=user)
        email = user.email
        client.force_login(user)

        response = client.post(self.url, {"confirm": "DELETE", "password": DEFAULT_PASSWORD}, follow=True)

        assert response.redirect_chain[-1][0] == reverse("home")
        assert "account has been deleted" in response.content.decode()
        assert not signed_in(client)
        erased = User.objects.get(pk=user.pk)
        assert not erased.is_active
        assert erased.email != email
        assert erased.display_name == ""
        assert not APIKey.objects.filter(pk=key.pk).exists()
        # The old address and password no longer open anything.
        assert login(client, email, DEFAULT_PASSWORD).status_code == 200
        assert not signed_in(client)

    def test_other_sessions_of_a_deleted_user_end(self, client, user):
        from django.test import Client

        other_device = Client()
        other_device.force_login(user)
        client.force_login(user)
        client.post(self.url, {"confirm": "DELETE", "password": DEFAULT_PASSWORD})
        response = other_device.get(reverse("accounts:profile"))
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN_URL)


class TestPasswords:
    def test_password_reset_by_email(self, client, user):
        response = client.post(reverse("account_reset_password"), {"email": user.email})
        assert response.status_code == 302
        assert len(mail.outbox) == 1
        link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", mail.outbox[0].body).group(1)

        form_page = client.get(link, follow=True)
        assert form_page.status_code == 200
        set_password_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
        response = client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert response.status_code == 302
        user.refresh_from_db()
        assert user.check_password(NEW_PASSWORD)

    def test_password_reset_for_an_unknown_address_sends_no_reset_link(self, client, db):
        client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
        assert all("/password/reset/key/" not in message.body for message in mail.outbox)

    def test_password_change(self, client, user):
        client.force_login(user)
        response = client.post(
            reverse("account_change_password"),
            {"oldpassword": DEFAULT_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        assert response.status_code == 302
        user.refresh_from_db()
        assert user.check_password(NEW_PASSWORD)
        assert signed_in(client)

    def test_password_change_needs_the_old_password(self, client, user):
        client.force_login(user)
        response = client.post(
            reverse("account_change_password"),
            {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        assert response.status_code == 200
        assert "oldpassword" in response.context["form"].errors
        user.refresh_from_db()
        assert user.check_password(DEFAULT_PASSWORD)


class TestAccountEmails:
    """Issue 12: verification and password-reset e-mails are the site's, in HTML and text, with a proper subject
    (allauth's stock "Hello from example.com!" and "Please Confirm Your Email Address" before)."""

    @staticmethod
    def _site_email(message, subject: str, link: str, words: str) -> None:
        assert message.subject == f"[Lyceum] {subject}"
        html = message.alternatives[0][0]
        assert message.alternatives[0][1] == "text/html"
        for body in (message.body, html):
            assert link in body and words in body and "Lyceum" in body
            assert "example.com" not in body.replace(message.to[0], "") and "Hello from" not in body
        assert "<html" in html and f'href="{link}"' in html

    def test_the_verification_email_is_the_sites_and_its_link_signs_in(self, client):
        client.post(SIGNUP_URL, signup_data(solved_captcha()))
        [message] = mail.outbox
        link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
        self._site_email(message, "Welcome to Lyceum: confirm your e-mail address", link, "new.learner@example.com")
        assert "Hello New Learner," in message.body
        path = "/accounts/confirm-email/" + link.split("/accounts/confirm-email/")[1]
        client.post(path)
        assert signed_in(client)

    def test_the_password_reset_email_is_the_sites(self, client, user):
        client.post(reverse("account_reset_password"), {"email": user.email})
        [message] = mail.outbox
        link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", message.body).group(0)
        self._site_email(message, "Reset your Lyceum password", link, "Choose a new password")
