"""Subscriptions' figure on the console home (accounts.console_home) and its dashboard link."""

from urllib.parse import urlencode

from django.urls import reverse

from accounts.interface import register_console_figure, register_console_link

from . import selectors
from .models import Subscription


def _started(today) -> dict:
    started = [status for status in Subscription.Status.values if status != Subscription.Status.INCOMPLETE]
    return {"created_at__gte": today, "status__in": ",".join(started)}


def register() -> None:
    register_console_figure(
        "new_subscriptions_today",
        "New subscriptions today",
        permission="subscriptions.view_subscription",
        value=selectors.new_subscription_count,
        url=lambda today: f"{reverse('admin:subscriptions_subscription_changelist')}?{urlencode(_started(today))}",
    )
    register_console_link(
        "Subscriptions dashboard",
        permission="subscriptions.view_subscription",
        url_name="admin:subscriptions_dashboard",
    )
