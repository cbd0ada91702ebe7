"""Our users' Stripe customers."""

from django.db import IntegrityError, transaction

from .. import gateway
from ..models import Customer


def get_or_create_customer(user) -> Customer:
    """The user's Stripe Customer, created once even when several requests race for it."""
    existing = Customer.objects.filter(user=user).first()
    if existing:
        return existing
    # Stripe is called outside any transaction (no lock held while it answers). The idempotency key comes
    # from the user id, so concurrent first purchases get the same Stripe customer; one row wins the insert.
    data = gateway.create_customer(user_id=user.pk, email=user.email, name=user.name)
    try:
        with transaction.atomic():
            return Customer.objects.create(user=user, stripe_customer_id=data["id"])
    except IntegrityError:
        return Customer.objects.get(user=user)
