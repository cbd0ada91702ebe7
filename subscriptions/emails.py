"""Subscription e-mails (HTML and text), one layout; the words per kind live here."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from billing.interface import format_money
from config.text import single_line

from .models import Interval, Subscription


def _date(value) -> str:
    return value.strftime("%-d %B %Y") if value else "the end of the period"


def _content(sub: Subscription, kind: str, amount: int) -> dict:
    plan = f"{sub.tier.name} ({Interval(sub.interval).label.lower()})"
    price = format_money(sub.price, sub.tier.currency)
    end = _date(sub.current_period_end)
    manage = "Manage your subscription"
    table = {
        "started": (
            f"Welcome to Lyceum {sub.tier.name}",
            [f"Your {plan} subscription is active.", f"It renews on {end} at {price}."],
            manage,
        ),
        "renewed": (
            f"Your Lyceum {sub.tier.name} subscription has renewed",
            [
                f"We received {format_money(amount, sub.tier.currency)} for {plan}.",
                f"Your access now runs until {end}.",
            ],
            manage,
        ),
        "payment_failed": (
            "Your Lyceum subscription payment did not go through",
            [
                f"We could not charge your card for {plan}.",
                f"You keep your access until {_date(sub.grace_until)} while we retry. Update your card to keep it.",
            ],
            "Update your card",
        ),
        "recovered": (
            "Your Lyceum subscription payment went through",
            [
                f"Thank you: the payment for {plan} succeeded and your subscription is active again.",
                f"It renews on {end}.",
            ],
            manage,
        ),
        "ended_unpaid": (
            "Your Lyceum subscription has ended",
            [
                f"We could not collect the payment for {plan} after several tries, so the subscription has ended.",
                "You are on Free now. You can subscribe again at any time.",
            ],
            "See the plans",
        ),
        "ended": (
            "Your Lyceum subscription has ended",
            [f"Your {plan} subscription has ended. You are on Free now.", "You can subscribe again at any time."],
            "See the plans",
        ),
        "cancel_scheduled": (
            "Your Lyceum subscription will end",
            [
                f"Your {plan} subscription is cancelled and ends on {end}.",
                "You keep your access until then. Changed your mind? Resume before that date.",
            ],
            manage,
        ),
        "resumed": (
            "Your Lyceum subscription continues",
            [f"Your {plan} subscription is no longer cancelled. It renews on {end} at {price}."],
            manage,
        ),
        "upgraded": (
            f"You are now on Lyceum {sub.tier.name}",
            [
                f"Your plan is now {plan}.",
                f"We charged {format_money(amount, sub.tier.currency)} for the rest of this period.",
                f"It renews on {end} at {price}.",
            ],
            manage,
        ),
        "downgrade_scheduled": (
            "Your Lyceum plan change is scheduled",
            [
                f"You keep {plan} until {_date(sub.pending_effective_at)}.",
                f"Then you move to {sub.pending_tier.name if sub.pending_tier else 'the new plan'}"
                f" ({Interval(sub.pending_interval or sub.interval).label.lower()}).",
            ],
            manage,
        ),
    }
    subject, paragraphs, button = table[kind]
    if kind.startswith("ended"):
        link = reverse("subscriptions:pricing")
    elif kind == "payment_failed":
        link = reverse("subscriptions:manage") + "#card"
    else:
        link = reverse("subscriptions:manage")
    return {"subject": subject, "paragraphs": paragraphs, "button": button, "link": settings.SITE_URL + link}


def send_subscription_email(subscription_id: int, kind: str, amount: int = 0) -> None:
    sub = Subscription.objects.select_related("user", "tier", "pending_tier").get(pk=subscription_id)
    if not sub.user.is_active:
        return
    context = {"user": sub.user, "subscription": sub, **_content(sub, kind, amount)}
    text = render_to_string("subscriptions/emails/notice.txt", context)
    html = render_to_string("subscriptions/emails/notice.html", context)
    message = EmailMultiAlternatives(
        single_line(context["subject"]), text, settings.DEFAULT_FROM_EMAIL, [sub.user.email]
    )
    message.attach_alternative(html, "text/html")
    message.send()
