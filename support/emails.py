"""Support e-mails, HTML and text from support/emails/<kind>.{txt,html}, sent once the caller's transaction
commits (the same shape as every app's mail: one layout, both parts, nothing sent for a rolled-back change)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from config.text import single_line

SUBJECTS = {
    "ticket_opened": "We received your support request {reference}",
    "staff_reply": "Re: {subject} [{reference}]",
    "sla_warning": "SLA warning: {reference} {target} due {due}",
    "sla_breach": "SLA breached: {reference} {target} was due {due}",
    "contact": "Contact form: {name}",
}


def send_after_commit(kind: str, to: list[str], *, reply_to: str | None = None, **context) -> None:
    if not to:
        return

    def send():
        full = {"site_url": settings.SITE_URL, **context}
        subject = single_line(SUBJECTS[kind].format(**{k: v for k, v in full.items() if isinstance(v, str)}))
        text = render_to_string(f"support/emails/{kind}.txt", full)
        html = render_to_string(f"support/emails/{kind}.html", full)
        message = EmailMultiAlternatives(
            subject, text, settings.DEFAULT_FROM_EMAIL, to, reply_to=[reply_to] if reply_to else None
        )
        message.attach_alternative(html, "text/html")
        message.send()

    transaction.on_commit(send, robust=True)
