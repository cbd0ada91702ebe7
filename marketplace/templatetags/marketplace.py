from django import template

from billing.interface import format_money

from ..rendering import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    return render_markdown(text)


@register.filter
def money(amount: int, currency: str) -> str:
    return format_money(amount or 0, currency or "usd")


@register.filter
def percent_of(part: int, whole: int) -> int:
    return int(part * 100 / whole) if whole else 0
