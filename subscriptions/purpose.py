"""The "subscription" purpose: billing sells plans through Checkout and calls back here."""

from django.conf import settings
from django.urls import reverse

from billing import interface as billing

from .services import subscribing


def _success_url(payment) -> str:
    return settings.SITE_URL + reverse("subscriptions:manage")


def register() -> None:
    billing.register_purpose(
        subscribing.PURPOSE,
        label="Subscription",
        fulfil=subscribing.fulfil_payment,
        revoke=subscribing.revoke_payment,
        success_url=_success_url,
        checkout=subscribing.checkout_items,
    )
