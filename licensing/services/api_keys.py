"""Organisation API keys for the customer's HR tools: hashed, revocable, scoped to one organisation."""

import secrets

from django.db import transaction
from django.utils import timezone

from accounts.interface import hash_key

from ..models import Organisation, OrganisationAPIKey
from ._common import LicensingError, NotFoundError

MAX_ACTIVE_KEYS = 10
ALL_SCOPES = [OrganisationAPIKey.Scope.SEATS_READ, OrganisationAPIKey.Scope.SEATS_WRITE]


@transaction.atomic
def create_key(org: Organisation, *, name: str, scopes: list[str], by) -> tuple[OrganisationAPIKey, str]:
    """Returns the key and its secret, which is shown once and never stored."""
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise LicensingError("Give the key a name of at most 60 characters.", fields={"name": ["Required."]})
    scopes = sorted(set(scopes or []))
    if not scopes or any(s not in OrganisationAPIKey.Scope.values for s in scopes):
        raise LicensingError(
            "Choose what the key may do.", fields={"scopes": ["Choose seats:read and/or seats:write."]}
        )
    active = OrganisationAPIKey.objects.select_for_update().filter(organisation=org, revoked_at__isnull=True)
    if active.filter(name=name).exists():
        raise LicensingError(f"An active key is already named “{name}”.", fields={"name": ["Already used."]})
    if active.count() >= MAX_ACTIVE_KEYS:
        raise LicensingError(f"At most {MAX_ACTIVE_KEYS} keys can be active; revoke one first.")
    raw = OrganisationAPIKey.PREFIX + secrets.token_urlsafe(32)
    key = OrganisationAPIKey.objects.create(
        organisation=org, name=name, prefix=raw[:12], digest=hash_key(raw), scopes=scopes, created_by=by
    )
    return key, raw


def revoke_key(org: Organisation, key_id: int, *, by) -> OrganisationAPIKey:
    key = OrganisationAPIKey.objects.filter(organisation=org, pk=key_id).first() if isinstance(key_id, int) else None
    if key is None:
        raise NotFoundError("That key does not exist.")
    if key.revoked_at is None:
        OrganisationAPIKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by
        )
        key.refresh_from_db()
    return key


def authenticate(raw: str) -> OrganisationAPIKey | None:
    """The active key for this secret (its use recorded at most once a minute), or None."""
    if not isinstance(raw, str) or not raw.startswith(OrganisationAPIKey.PREFIX) or len(raw) > 100:
        return None
    key = (
        OrganisationAPIKey.objects.select_related("organisation", "created_by")
        .filter(digest=hash_key(raw), revoked_at__isnull=True, created_by__is_active=True)
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        OrganisationAPIKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
