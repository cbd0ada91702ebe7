"""Rewards e-mails (text and HTML from the site's e-mail templates), sent after the transaction commits.

Course awards, milestones and league results respect the learner's "token and league e-mails" setting;
the streak-at-risk reminder respects "learning reminders"."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from config.text import single_line

logger = logging.getLogger(__name__)

SUBJECTS = {
    "course_award": "You earned {tokens} tokens for finishing “{title}”",
    "streak_milestone": "{days} days in a row: you earned {tokens} tokens",
    "streak_at_risk": "Your {days}-day streak ends at midnight",
    "league_result": "Your league week: {outcome}",
}
PREFERENCE = {
    "course_award": "reward_emails",
    "streak_milestone": "reward_emails",
    "league_result": "reward_emails",
    "streak_at_risk": "learning_reminders",
}


def send_now(kind: str, to, context: dict) -> bool:
    if not to.is_active or not getattr(to, PREFERENCE[kind], True):
        return False
    context = {"user": to, "site_url": settings.SITE_URL, **context}
    streak = context.get("streak")
    member = context.get("member")
    subject = single_line(
        SUBJECTS[kind].format(
            title=getattr(context.get("course"), "title", ""),
            tokens=context.get("tokens", ""),
            days=context.get("days") or getattr(streak, "current", ""),
            outcome=member.get_outcome_display().lower() if member else "",
        )
    )
    text = render_to_string(f"rewards/emails/{kind}.txt", context)
    html = render_to_string(f"rewards/emails/{kind}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to.email])
    message.attach_alternative(html, "text/html")
    message.send()
    return True


def send_after_commit(kind: str, to, **context) -> None:
    """Once the caller's transaction commits; a refusing mail server is logged, never undoes the award."""
    transaction.on_commit(lambda: send_now(kind, to, context), robust=True)
