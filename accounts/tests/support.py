"""Test-client support: staff sign in to the console with multi-factor authentication, as in production."""

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.http import HttpRequest
from django.test import Client

from accounts.mfa import MFA_METHOD


def give_totp(user) -> Authenticator:
    """The user's authenticator app (TOTP), created once."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return existing or TOTP.activate(user, generate_totp_secret()).instance


def mark_session_mfa(client: Client, user, authenticator: Authenticator) -> None:
    """Record in the client's session that this sign-in used the authenticator, as allauth's MFA stage does."""
    from allauth.account.internal.flows.login import record_authentication

    request = HttpRequest()
    request.session = client.session
    record_authentication(request, user, MFA_METHOD, id=authenticator.pk, type=authenticator.type)
    request.session.save()


class MFAClient(Client):
    """force_login as staff sign in: staff get an authenticator app and a session that used it, so the
    console opens (accounts.mfa.console_gate). `force_login(user, mfa=False)` signs in with the password only."""

    def force_login(self, user, backend=None, mfa=True):
        super().force_login(user, backend)
        if mfa and user.is_staff:
            mark_session_mfa(self, user, give_totp(user))
