"""Accounts' surface for the other apps: import from here, never from accounts' inner modules.

What it offers:
    ``User`` — the custom user model (e-mail login).
    ``grant_instructor(user)`` — let a user teach.
    ``grant_to_group(group, permissions)`` — add permissions to a staff group (call in ``AppConfig.ready``).
    ``account_deleted`` — a signal sent after an account is erased (``user_id``, ``email``); apps that keep
    something about the person in an outside system (Stripe) forget it in their receiver.
"""

from .models import User
from .roles import grant_to_group
from .services import grant_instructor
from .signals import account_deleted

__all__ = ["User", "account_deleted", "grant_instructor", "grant_to_group"]
