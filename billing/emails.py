from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from config.text import single_line

from .models import Payment, Refund

SUBJECTS = {
    "receipt": "Your Lyceum receipt {receipt}",
    "failed": "Your payment for {description} did not go through",
    "refund": "Your refund for {description}",
}


def send_payment_email(payment_id: str, kind: str, refund_id: int | None = None) -> None:
    """Render and send one payment e-mail (HTML and text)."""
    payment = Payment.objects.select_related("user").get(pk=payment_id)
    if not payment.user.is_active:
        return  # erased accounts get no mail
    if kind == "failed" and payment.status != Payment.Status.FAILED:
        return  # paid (or started again) since the decline: nothing to tell them
    refund = Refund.objects.get(pk=refund_id) if refund_id else None
    context = {
        "payment": payment,
        "refund": refund,
        "user": payment.user,
        "site_url": settings.SITE_URL,
        "status_url": settings.SITE_URL + reverse("billing:payment_status", args=[payment.pk]),
        "receipt_url": settings.SITE_URL + reverse("billing:receipt", args=[payment.pk]),
        # "Try again" opens the payment's page (what happened, and the button that starts a new Checkout).
        "retry_url": settings.SITE_URL + reverse("billing:payment_status", args=[payment.pk]),
    }
    subject = single_line(SUBJECTS[kind].format(receipt=payment.receipt_number or "", description=payment.description))
    text = render_to_string(f"billing/emails/{kind}.txt", context)
    html = render_to_string(f"billing/emails/{kind}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [payment.user.email])
    message.attach_alternative(html, "text/html")
    message.send()
