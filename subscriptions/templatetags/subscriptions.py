from django import template

from .. import access

register = template.Library()


@register.simple_tag(takes_context=True)
def has_feature(context, code: str, user=None) -> bool:
    """{% has_feature "certificates" as ok %}: the request user's answer from subscriptions.access."""
    user = user or context.get("user") or getattr(context.get("request"), "user", None)
    return bool(user) and access.has_feature(user, code)


@register.simple_tag(takes_context=True)
def current_tier(context, user=None):
    user = user or context.get("user")
    return access.current_tier(user)


@register.filter
def stripe_date(value):
    """A Stripe timestamp (seconds) as an aware datetime, for the |date filter."""
    from datetime import UTC, datetime

    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError):
        return None
