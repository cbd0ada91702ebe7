"""Demo data for `manage.py seed_demo`: a ticket from a member of the demo organisation (licensing's demo
seeds it first: support comes after licensing in INSTALLED_APPS), so the Support queue is alive on first run.
Idempotent: keyed by the requester and the subject."""

from django.contrib.auth import get_user_model

from .models import Priority, Ticket
from .services import open_ticket

REQUESTER = "ana@acme-learning.test"
SUBJECT = "Certificates do not show our company name"


def seed_demo() -> int:
    user = get_user_model().objects.filter(email=REQUESTER).first()
    if user is None or Ticket.objects.filter(requester=user, subject=SUBJECT).exists():
        return 0
    open_ticket(
        user,
        subject=SUBJECT,
        description="Our certificates show my name but not Acme Learning. Can the organisation appear on them?",
        priority=Priority.NORMAL,
    )
    return 1
