import datetime

from django import template

register = template.Library()


@register.filter
def human_duration(value: datetime.timedelta | None) -> str:
    """30 minutes, 1 hour, 1 hour 30 minutes: for people, where axes offers ISO 8601 ("PT30M")."""
    if not isinstance(value, datetime.timedelta):
        return ""
    minutes = max(round(value.total_seconds() / 60), 1)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


@register.simple_tag(takes_context=True)
def may_do(context, act: str) -> bool:
    """{% may_do "billing.refund" as may_refund %}: may the signed-in user do this act of
    accounts/permission_table.py? Links to pages the user would be refused stay hidden."""
    from accounts.roles import may

    request = context.get("request")
    return bool(request is not None and may(request.user, act))
