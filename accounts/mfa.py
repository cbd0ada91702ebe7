"""Multi-factor authentication (django-allauth's MFA: TOTP and recovery codes).

Everyone may turn it on from their profile; staff must have it, and must have used it in this session,
before the console opens (accounts.console calls `console_gate`). Sign-in asks for the code of anyone who
has it (allauth's login stage), so a staff session normally carries an "mfa" authentication record.
"""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

MFA_METHOD = "mfa"


def has_mfa(user) -> bool:
    """Has the user an authenticator app (TOTP) set up? Recovery codes alone do not count."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_mfa(request) -> bool:
    from allauth.account.authentication import get_authentication_records

    return any(r.get("method") == MFA_METHOD for r in get_authentication_records(request, request.user))


def console_gate(request):
    """None when this staff member may go on into the console; otherwise where they must go first: set up
    an authenticator app, or confirm a code in this session (e.g. a session older than their MFA)."""
    if has_mfa(request.user):
        if session_passed_mfa(request):
            return None
        target = reverse("mfa_reauthenticate")
    else:
        target = reverse("mfa_activate_totp")
    return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


def record_activation(request, user, authenticator) -> None:
    """Activating an authenticator app means typing a valid code from it: that counts as using it in this
    session (without this, a staff member who just set it up would be asked for a second code at once)."""
    from allauth.account.internal.flows.login import record_authentication

    if request is not None and getattr(request, "user", None) == user:
        record_authentication(request, user, MFA_METHOD, id=authenticator.pk, type=authenticator.type)


def staff_without_mfa():
    """Active staff and superuser accounts with no authenticator app: for launch_check and the console."""
    from allauth.mfa.models import Authenticator

    from .models import User

    with_totp = Authenticator.objects.filter(type=Authenticator.Type.TOTP).values("user_id")
    return User.objects.filter(is_active=True, is_staff=True).exclude(pk__in=with_totp).order_by("email")
