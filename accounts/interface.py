"""Accounts' surface for the other apps: import from here, never from accounts' inner modules.

What it offers:
    ``User`` — the custom user model (e-mail login).
    ``grant_instructor(user)`` — let a user teach.
    ``grant_to_group(group, permissions)`` — add permissions to a staff group (call in ``AppConfig.ready``).
    ``captcha_field()`` — the sign-up CAPTCHA (ALTCHA) as a form field, for other public forms.
    ``hash_key(raw)`` — the digest API keys are stored as.
    ``APIKeyAuthentication`` — DRF authentication by personal API key (for views that list their own).
    ``demo_password()`` — the password of every demo account (``manage.py seed_demo``).
    ``account_deleted`` — a signal sent after an account is erased (``user_id``, ``email``); apps that keep
    something about the person in an outside system (Stripe) forget it in their receiver.
Staff permissions (accounts/permission_table.py is THE table of who may do what)
    ``may(user, act)`` — may the user do this act of the table (refund, read anyone's payments, see any
    course…)? Superusers always; staff through their groups; learners never.
    ``ActPermission`` — DRF permission class for a staff API operation (its row in the table says who).
    ``staff_without_mfa()`` — active staff accounts with no authenticator app (for launch_check).
The console home (accounts/console_home.py)
    ``register_console_figure(key, label, permission=, value=, url=, attention=)`` — one of today's figures
    on the console home, linking to its list; ``register_console_link(label, permission=, url_name=)`` — a
    dashboard link there. Shown to those holding the permission (call in ``AppConfig.ready``).
"""

from .api.permissions import ActPermission
from .authentication import APIKeyAuthentication
from .console_home import register_console_figure, register_console_link
from .forms import captcha_field
from .mfa import staff_without_mfa
from .models import User
from .roles import grant_to_group, may
from .services import grant_instructor, hash_key
from .signals import account_deleted

__all__ = [
    "APIKeyAuthentication",
    "ActPermission",
    "User",
    "account_deleted",
    "captcha_field",
    "demo_password",
    "grant_instructor",
    "grant_to_group",
    "hash_key",
    "may",
    "register_console_figure",
    "register_console_link",
    "staff_without_mfa",
]


def demo_password() -> str:
    """The password of every demo account (`manage.py seed_demo`)."""
    from .management.commands.seed_demo import DEMO_PASSWORD

    return DEMO_PASSWORD
