"""The "subscription" purpose: billing sells plans through Checkout and calls back here."""

from django.conf import settings
from django.urls import reverse

from billing import interface as billing

from . import services


def _success_url(payment) -> str:
    return settings.SITE_URL + reverse("subscriptions:manage")


def register() -> None:
    billing.register_purpose(
        services.PURPOSE,
        label="Subscription",
        fulfil=services.fulfil_payment,
        revoke=services.revoke_payment,
        success_url=_success_url,
        checkout=services.checkout_items,
    )
