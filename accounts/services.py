"""Account workflows: API keys, account deletion, roles."""

import hashlib
import secrets
import uuid

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from config.errors import DomainError

from .models import APIKey, User
from .roles import STAFF_GROUPS

MAX_ACTIVE_KEYS = 10


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def create_api_key(user: User, name: str) -> tuple[APIKey, str]:
    """Create a key and return it with the raw secret, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise DomainError("Give the key a name so you can recognise it later.", fields={"name": ["Required."]})
    if len(name) > 60:
        raise DomainError("Key names are at most 60 characters.", fields={"name": ["Too long."]})
    active = APIKey.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    if active.filter(name=name).exists():
        raise DomainError(f"You already have an active key named “{name}”.", fields={"name": ["Already used."]})
    if active.count() >= MAX_ACTIVE_KEYS:
        raise DomainError(f"You can have at most {MAX_ACTIVE_KEYS} active keys; revoke one first.")
    raw = APIKey.PREFIX + secrets.token_urlsafe(32)
    key = APIKey.objects.create(user=user, name=name, prefix=raw[:12], digest=hash_key(raw))
    return key, raw


def revoke_api_key(user: User, key_id: int) -> APIKey:
    key = APIKey.objects.filter(user=user, pk=key_id).first()
    if key is None:
        raise DomainError("That key does not exist.", code="not_found", status_code=404)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def authenticate_api_key(raw_key: str) -> APIKey | None:
    """Return the active key for this secret (recording its use), or None."""
    if not raw_key.startswith(APIKey.PREFIX):
        return None
    key = (
        APIKey.objects.select_related("user")
        .filter(digest=hash_key(raw_key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    # Record use at most once a minute so a busy integration does not write on every call.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        APIKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


@transaction.atomic
def delete_account(user: User) -> None:
    """Erase personal data. The row stays (anonymised) so payments and ledgers keep their owner."""
    from allauth.account.models import EmailAddress

    user = User.objects.select_for_update().get(pk=user.pk)
    EmailAddress.objects.filter(user=user).delete()
    user.api_keys.all().delete()
    user.email = f"deleted-{user.pk}-{uuid.uuid4().hex[:8]}@deleted.invalid"
    user.display_name = ""
    user.timezone = "UTC"
    user.marketing_emails = False
    user.learning_reminders = False
    user.reward_emails = False
    user.on_public_leaderboards = False
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.deleted_at = timezone.now()
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    # Other sessions end by themselves: Django refuses inactive users on every request.


def grant_instructor(user: User) -> User:
    if not user.is_instructor:
        user.is_instructor = True
        user.save(update_fields=["is_instructor"])
    return user


def add_to_staff_group(user: User, group_name: str, *, by: User) -> None:
    """Only superusers give staff rights (accounts/permission_table.py, "accounts.change_roles")."""
    from .roles import may

    if not may(by, "accounts.change_roles"):
        raise DomainError("Only superusers add people to staff groups.", code="permission_denied", status_code=403)
    if group_name not in STAFF_GROUPS:
        raise DomainError(f"Unknown staff group “{group_name}”.")
    group = Group.objects.get(name=group_name)
    user.groups.add(group)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
