"""Errors, e-mail and the licence history shared by the licensing services."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from config.errors import ConflictError, DomainError, NotFoundError

logger = logging.getLogger("licensing")


class LicensingError(DomainError):
    code = "licensing_error"


class NotAllowed(DomainError):
    code = "permission_denied"
    status_code = 403


__all__ = ["ConflictError", "DomainError", "LicensingError", "NotAllowed", "NotFoundError", "record", "send_email"]


def record(licence, kind: str, *, reason: str = "", actor=None, **data) -> None:
    from ..models import LicenceEvent

    LicenceEvent.objects.create(licence=licence, kind=kind, reason=reason[:500], actor=actor, data=data)


SUBJECTS = {
    "quote_requested": "We received your request for a Lyceum Enterprise quote",
    "quote_sent": "Your Lyceum Enterprise quote {reference}",
    "licence_invoice": "Your Lyceum invoice for {organisation}",
    "licence_active": "Your Lyceum Enterprise licence is active",
    "licence_suspended": "Your Lyceum Enterprise licence is suspended",
    "invitation": "{organisation} invited you to Lyceum Enterprise",
    "seat_revoked": "Your Lyceum Enterprise seat at {organisation} has ended",
    "renewal_notice": "Your Lyceum Enterprise licence renews in {days} days",
    "licence_ended": "{organisation}'s Lyceum Enterprise licence has ended",
    "limit_notice": "{organisation} has used {threshold}% of its {what}",
}


def _single_line(text: str) -> str:
    return " ".join(str(text).split())


def send_email(kind: str, to: str, **context) -> None:
    """Render licensing/emails/<kind>.{txt,html} and send once the caller's transaction commits.

    robust: a mail server that refuses is logged and never undoes the committed change."""

    def send():
        full = {"site_url": settings.SITE_URL, **context}
        subject = _single_line(SUBJECTS[kind].format(**{k: v for k, v in full.items() if isinstance(v, str | int)}))
        text = render_to_string(f"licensing/emails/{kind}.txt", full)
        html = render_to_string(f"licensing/emails/{kind}.html", full)
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
        message.attach_alternative(html, "text/html")
        message.send()

    transaction.on_commit(send, robust=True)
