"""Billing's figures on the console home (accounts.console_home): revenue, refunds, failed webhook events."""

from urllib.parse import urlencode

from django.urls import reverse

from accounts.interface import register_console_figure, register_console_link

from . import selectors
from .models import Payment, Refund, StripeEvent
from .money import format_money


def _list(url_name: str, **filters) -> str:
    return f"{reverse(url_name)}?{urlencode(filters)}" if filters else reverse(url_name)


def _revenue(today) -> str:
    totals = selectors.revenue_since(today)
    return " · ".join(format_money(amount, currency) for currency, amount in totals.items()) or "—"


def register() -> None:
    register_console_figure(
        "revenue_today",
        "Revenue today",
        permission="billing.view_revenue",
        value=_revenue,
        url=lambda today: _list(
            "admin:billing_payment_changelist", status__exact=Payment.Status.SUCCEEDED, succeeded_at__gte=today
        ),
    )
    register_console_figure(
        "refunds_today",
        "Refunds today",
        permission="billing.view_refund",
        value=selectors.refunds_since,
        url=lambda today: _list(
            "admin:billing_refund_changelist", status__exact=Refund.Status.SUCCEEDED, created_at__gte=today
        ),
    )
    register_console_figure(
        "failed_webhook_events",
        "Failed webhook events",
        permission="billing.view_stripeevent",
        value=lambda today: selectors.failed_event_count(),
        url=lambda today: _list("admin:billing_stripeevent_changelist", status__exact=StripeEvent.Status.FAILED),
        attention=True,
    )
    register_console_link("Revenue dashboard", permission="billing.view_revenue", url_name="admin:billing_revenue")
