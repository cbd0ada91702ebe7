"""Marketplace e-mails (text and HTML), sent after the transaction that caused them commits."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from config.text import single_line

SUBJECTS = {
    "application_approved": "You can now teach on Lyceum",
    "application_rejected": "About your application to teach on Lyceum",
    "course_approved": "“{title}” is published",
    "course_rejected": "“{title}” needs changes before it can be published",
    "enrollment_confirmed": "You are enrolled in “{title}”",
    "refund_request_received": "We received your refund request for “{title}”",
    "refund_approved": "Your refund for “{title}” is approved",
    "refund_declined": "About your refund request for “{title}”",
    "payout_sent": "Lyceum sent you {amount}",
}


def send_now(kind: str, to, context: dict) -> None:
    if not to.is_active:
        return
    context = {"user": to, "site_url": settings.SITE_URL, **context}
    title = getattr(context.get("course"), "title", "")
    subject = single_line(SUBJECTS[kind].format(title=title, amount=context.get("amount", "")))
    text = render_to_string(f"marketplace/emails/{kind}.txt", context)
    html = render_to_string(f"marketplace/emails/{kind}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to.email])
    message.attach_alternative(html, "text/html")
    message.send()


def send_after_commit(kind: str, to, **context) -> None:
    """Send once the caller's transaction commits. robust: a mail server that refuses is logged (with the
    traceback, so Sentry sees it) and never turns a committed payout, refund or decision into an error, nor
    stops a batch (a payout run) half-way."""
    transaction.on_commit(lambda: send_now(kind, to, context), robust=True)
