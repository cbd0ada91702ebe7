"""The "licence" purpose: billing sells a licence by card through Checkout and calls back here."""

from django.conf import settings
from django.urls import reverse

from billing.interface import register_purpose

from .services import payments


def _success_url(payment) -> str:
    from .models import Licence

    licence = Licence.objects.select_related("organisation").filter(checkout_payment_id=payment.pk).first()
    if licence is None:
        return settings.SITE_URL + reverse("licensing:my_organisations")
    return settings.SITE_URL + reverse("licensing:org_billing", args=[licence.organisation.slug])


def register() -> None:
    register_purpose(
        payments.PURPOSE,
        label="Enterprise licence",
        fulfil=payments.fulfil_payment,
        revoke=payments.revoke_payment,
        success_url=_success_url,
    )
