"""Entitlements: who may use which tier, from which source (subscription, licence seat, token redemption,
staff grant). Other apps grant and revoke through subscriptions.interface."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..errors import SubscriptionError, UnknownTier
from ..models import Entitlement, Subscription, Tier

logger = logging.getLogger(__name__)


def _tier(tier: Tier | str) -> Tier:
    if isinstance(tier, Tier):
        return tier
    found = Tier.objects.filter(code=tier).first()
    if found is None:
        raise UnknownTier(f"There is no tier “{tier}”.", fields={"tier": ["Unknown tier."]})
    return found


@transaction.atomic
def grant_entitlement(
    user,
    tier: Tier | str,
    source: str,
    *,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    reason: str = "",
    granted_by=None,
    reference: str = "",
    subscription: Subscription | None = None,
) -> Entitlement:
    """Let `user` use `tier`'s features from valid_from (default now) until valid_until (None: open-ended)."""
    tier = _tier(tier)
    reason = (reason or "").strip()
    if source not in Entitlement.Source.values:
        raise SubscriptionError(f"Unknown entitlement source “{source}”.", code="invalid_source")
    if source == Entitlement.Source.STAFF_GRANT and not reason:
        raise SubscriptionError(
            "Give a reason for the complimentary access.", code="reason_required", fields={"reason": ["Required."]}
        )
    if tier.is_free:
        raise SubscriptionError(
            "Everyone has Free; grant a paid tier.", code="invalid_tier", fields={"tier": ["Free."]}
        )
    valid_from = valid_from or timezone.now()
    if valid_until is not None and valid_until <= valid_from:
        raise SubscriptionError(
            "The end must be after the start.", code="invalid_window", fields={"valid_until": ["Before the start."]}
        )
    return Entitlement.objects.create(
        user=user,
        tier=tier,
        source=source,
        subscription=subscription,
        valid_from=valid_from,
        valid_until=valid_until,
        reason=reason[:255],
        granted_by=granted_by,
        reference=reference[:120],
    )


@transaction.atomic
def revoke_entitlement(entitlement: Entitlement, *, reason: str, revoked_by=None) -> Entitlement:
    """End an entitlement now. The row stays (with who and why) for the record."""
    reason = (reason or "").strip()
    if not reason:
        raise SubscriptionError(
            "Give a reason for revoking access.", code="reason_required", fields={"reason": ["Required."]}
        )
    locked = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_by = revoked_by
        locked.revoke_reason = reason[:255]
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
    return locked


def revoke_entitlements(user, *, source: str, reference: str, reason: str, revoked_by=None) -> int:
    """Revoke every live entitlement a source granted (e.g. a licence seat being unassigned)."""
    rows = Entitlement.objects.filter(user=user, source=source, reference=reference, revoked_at__isnull=True)
    count = 0
    for row in rows:
        revoke_entitlement(row, reason=reason, revoked_by=revoked_by)
        count += 1
    return count
