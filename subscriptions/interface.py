"""Subscriptions' surface for the other apps: import from here, never from subscriptions' inner modules.

What it offers:

Access (THE question "may this user do X")
    ``has_feature(user, code)``, ``features(user)``, ``current_tier(user)``, ``current_tier_code(user)``,
    ``feature_required(code)`` (view decorator), ``HasFeature(code)`` (DRF permission class).
Entitlements (who may use what, from which source: subscription / licence seat / token redemption / staff)
    ``grant_entitlement(user, tier, source, valid_from=, valid_until=, reason=, granted_by=, reference=)``,
    ``revoke_entitlement(entitlement, reason=)``, ``revoke_entitlements(user, source=, reference=, reason=)``,
    ``Entitlement`` (read), ``EntitlementSource`` (the source codes), ``LICENCE_SEAT``,
    ``live_entitlements(source=, reference=)`` (those a source granted and has not revoked).
Catalogue and subscriptions (read)
    ``Tier``, ``Feature``, ``Subscription``, ``get_tier(code)``, ``live_subscription(user)``,
    ``tier_feature_codes(tier_code)`` (sorted feature codes of a tier).
"""

from .access import HasFeature, current_tier, current_tier_code, feature_required, features, has_feature
from .models import Entitlement, Feature, Subscription, Tier
from .selectors import get_tier, live_subscription
from .services.entitlements import grant_entitlement, revoke_entitlement, revoke_entitlements

EntitlementSource = Entitlement.Source
LICENCE_SEAT = Entitlement.Source.LICENCE_SEAT


def tier_feature_codes(tier_code: str) -> list[str]:
    """The feature codes a tier includes, sorted (for licence keys and the licence API)."""
    from .models import TierFeature

    return sorted(TierFeature.objects.filter(tier__code=tier_code).values_list("feature__code", flat=True))


def live_entitlements(*, source: str, reference: str):
    """Entitlements a source granted and has not revoked (e.g. one licence seat's)."""
    return Entitlement.objects.filter(source=source, reference=reference, revoked_at__isnull=True)


__all__ = [
    "Entitlement",
    "EntitlementSource",
    "Feature",
    "HasFeature",
    "LICENCE_SEAT",
    "Subscription",
    "Tier",
    "current_tier",
    "current_tier_code",
    "feature_required",
    "features",
    "get_tier",
    "grant_entitlement",
    "has_feature",
    "live_entitlements",
    "live_subscription",
    "revoke_entitlement",
    "revoke_entitlements",
    "tier_feature_codes",
]
