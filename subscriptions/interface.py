"""Subscriptions' surface for the other apps: import from here, never from subscriptions' inner modules.

What it offers:

Access (THE question "may this user do X")
    ``has_feature(user, code)``, ``features(user)``, ``current_tier(user)``, ``current_tier_code(user)``,
    ``feature_required(code)`` (view decorator), ``HasFeature(code)`` (DRF permission class).
Entitlements (who may use what, from which source: subscription / licence seat / token redemption / staff)
    ``grant_entitlement(user, tier, source, valid_from=, valid_until=, reason=, granted_by=, reference=)``,
    ``revoke_entitlement(entitlement, reason=)``, ``revoke_entitlements(user, source=, reference=, reason=)``,
    ``Entitlement`` (read), ``EntitlementSource`` (the source codes).
Catalogue and subscriptions (read)
    ``Tier``, ``Feature``, ``Subscription``, ``get_tier(code)``, ``live_subscription(user)``.
"""

from .access import HasFeature, current_tier, current_tier_code, feature_required, features, has_feature
from .models import Entitlement, Feature, Subscription, Tier
from .selectors import get_tier, live_subscription
from .services.entitlements import grant_entitlement, revoke_entitlement, revoke_entitlements

EntitlementSource = Entitlement.Source

__all__ = [
    "Entitlement",
    "EntitlementSource",
    "Feature",
    "HasFeature",
    "Subscription",
    "Tier",
    "current_tier",
    "current_tier_code",
    "feature_required",
    "features",
    "get_tier",
    "grant_entitlement",
    "has_feature",
    "live_subscription",
    "revoke_entitlement",
    "revoke_entitlements",
]
