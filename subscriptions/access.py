"""THE access check: `has_feature(user, code)`. Nothing else in the code base decides who may use what.

Per user we cache the windows of their entitlements (tier, features, valid from–until), not the yes/no
answer, so an entitlement that simply runs out needs no invalidation: the answer is computed against
"now" on every call. The cache is dropped whenever that user's entitlements change (see receivers.py),
and every user's cache goes when the tier↔feature mapping changes (a global version in the key).
"""

from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from rest_framework.permissions import BasePermission

CACHE_SECONDS = 60 * 60
_VERSION_KEY = "subscriptions:catalog-version"


@dataclass(frozen=True)
class Window:
    tier_code: str
    tier_order: int
    features: frozenset[str]
    valid_from: datetime
    valid_until: datetime | None

    def covers(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)


def _catalog_version() -> int:
    version = cache.get(_VERSION_KEY)
    if version is None:
        version = 1
        cache.add(_VERSION_KEY, version, None)
    return version


def _key(user_id) -> str:
    return f"subscriptions:windows:{_catalog_version()}:{user_id}"


def _load_windows(user_id) -> list[Window]:
    from .models import Entitlement, TierFeature

    rows = list(
        Entitlement.objects.filter(user_id=user_id)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now()))
        .select_related("tier")
    )
    features: dict[int, set[str]] = {}
    for tier_id, code in TierFeature.objects.filter(tier_id__in={r.tier_id for r in rows}).values_list(
        "tier_id", "feature__code"
    ):
        features.setdefault(tier_id, set()).add(code)
    windows = []
    for row in rows:
        until = row.valid_until
        if row.revoked_at is not None:
            until = row.revoked_at if until is None else min(until, row.revoked_at)
            if until <= row.valid_from:
                continue
        windows.append(
            Window(
                tier_code=row.tier.code,
                tier_order=row.tier.order,
                features=frozenset(features.get(row.tier_id, ())),
                valid_from=row.valid_from,
                valid_until=until,
            )
        )
    return windows


def windows(user) -> list[Window]:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return []
    key = _key(user.pk)
    cached = cache.get(key)
    if cached is None:
        cached = _load_windows(user.pk)
        cache.set(key, cached, CACHE_SECONDS)
    return cached


def active_windows(user, at: datetime | None = None) -> list[Window]:
    at = at or timezone.now()
    return [w for w in windows(user) if w.covers(at)]


def has_feature(user, code: str) -> bool:
    """May this user use the feature `code` right now?"""
    return any(code in w.features for w in active_windows(user))


def features(user) -> set[str]:
    return set().union(*(w.features for w in active_windows(user))) if user else set()


def current_tier(user):
    """The best tier the user is entitled to now; Free when none."""
    from .models import Tier

    best = max(active_windows(user), key=lambda w: w.tier_order, default=None)
    code = best.tier_code if best else Tier.FREE
    return Tier.objects.filter(code=code).first()


def current_tier_code(user) -> str:
    best = max(active_windows(user), key=lambda w: w.tier_order, default=None)
    return best.tier_code if best else "free"


def invalidate(user_id) -> None:
    cache.delete(_key(user_id))


def invalidate_all() -> None:
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 2, None)


# Using it --------------------------------------------------------------------------------------


def feature_required(code: str):
    """View decorator: anonymous users go to login; signed-in users without the feature get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_feature(request.user, code):
                raise PermissionDenied(f"Your plan does not include {code}.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def HasFeature(code: str) -> type[BasePermission]:  # noqa: N802 - used like a class: permission_classes=[HasFeature("x")]
    """A DRF permission class requiring the feature `code`."""

    class _HasFeature(BasePermission):
        message = f"Your plan does not include the “{code}” feature. Upgrade on the pricing page."

        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and has_feature(request.user, code))

    _HasFeature.__name__ = f"HasFeature_{code}"
    return _HasFeature
