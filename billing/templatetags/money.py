from django import template

from billing.money import format_money

register = template.Library()


@register.filter(name="money")
def money_filter(amount, currency):
    """{{ payment.amount|money:payment.currency }} -> $19.99"""
    if amount is None or not currency:
        return ""
    return format_money(int(amount), currency)
