"""A person who confirms an address on an organisation's verified auto-seat domain gets a seat."""

from allauth.account.signals import email_confirmed
from django.dispatch import receiver

from .services import seats


@receiver(email_confirmed, dispatch_uid="licensing.domain_seat")
def domain_seat_on_confirmation(sender, request, email_address, **kwargs):
    user = email_address.user
    if email_address.email.lower() == user.email.lower():
        seats.claim_domain_seat(user)
