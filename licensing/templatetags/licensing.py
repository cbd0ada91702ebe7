from django import template

from billing.interface import format_bps

register = template.Library()


@register.filter(name="bps")
def bps_filter(value) -> str:
    """Basis points as a percentage: 1250 → "12.5%"."""
    return format_bps(int(value or 0))
