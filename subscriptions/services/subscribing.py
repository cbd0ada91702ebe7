"""Subscribing through Stripe Checkout, and billing's purpose hooks for subscription payments."""

import logging

from billing import interface as billing
from billing.interface import CheckoutItem, CheckoutStart, Payment, start_checkout

from .. import selectors
from ..errors import AlreadySubscribed, SubscriptionError, UnknownTier
from ..models import Interval, Subscription, Tier
from .sync import sync_from_stripe

logger = logging.getLogger(__name__)

PURPOSE = "subscription"


def check_interval(interval: str) -> str:
    if interval not in Interval.values:
        raise SubscriptionError(
            "Choose monthly (month) or annual (year) billing.",
            code="invalid_interval",
            fields={"interval": ["Invalid."]},
        )
    return interval


def paid_tier(code: str) -> Tier:
    tier = selectors.get_tier(code)
    if tier is None:
        raise UnknownTier(f"There is no tier “{code}”.", fields={"tier": ["Unknown tier."]})
    return tier


def checkout_items(user, reference: str) -> tuple[list[CheckoutItem], str, str]:
    """What billing charges for reference "tier:interval" (the purpose's checkout hook)."""
    code, _, interval = (reference or "").partition(":")
    tier = paid_tier(code)
    check_interval(interval)
    if tier.is_free:
        raise SubscriptionError("Free needs no payment: it is what you have without a plan.", code="free_tier")
    if selectors.live_subscription(user) is not None:
        raise AlreadySubscribed(
            "You already have a subscription. Change its plan on the manage subscription page instead."
        )
    price_id = tier.price_id(interval)
    if not price_id:
        raise SubscriptionError(
            f"{tier.name} cannot be bought yet (its Stripe prices are not set up).", code="not_for_sale"
        )
    label = f"Lyceum {tier.name} ({Interval(interval).label.lower()})"
    items = [CheckoutItem(name=label, amount=tier.price(interval), currency=tier.currency, price_id=price_id)]
    return items, label, Payment.Mode.SUBSCRIPTION


def start_subscription(user, tier_code: str, interval: str) -> CheckoutStart:
    """Send the user to Stripe Checkout in subscription mode for tier and interval."""
    reference = f"{tier_code}:{interval}"
    items, description, mode = checkout_items(user, reference)
    return start_checkout(
        user,
        PURPOSE,
        items,
        description=description,
        reference=reference,
        mode=mode,
        metadata={"tier": tier_code, "interval": interval},
        one_open="plan",  # one plan checkout at a time: choosing another plan replaces the open one
    )


def fulfil_payment(payment: Payment) -> None:
    if not payment.stripe_subscription_id:
        raise SubscriptionError("The subscription payment has no Stripe subscription.", code="no_subscription")
    if sync_from_stripe(payment.stripe_subscription_id, user=payment.user) is None:
        raise SubscriptionError("The Stripe subscription is not one of our plans.", code="unknown_price")


def revoke_payment(payment: Payment, refund) -> None:
    """A full refund of the first payment ends the subscription and access now; a partial one is goodwill."""
    if payment.amount_refunded < payment.amount or not payment.stripe_subscription_id:
        logger.info("Partial refund of subscription payment %s: the subscription continues", payment.pk)
        return
    sub = Subscription.objects.filter(stripe_subscription_id=payment.stripe_subscription_id).first()
    if sub is None or sub.status == Subscription.Status.CANCELED:
        return
    billing.cancel_subscription(payment.stripe_subscription_id)
    sync_from_stripe(payment.stripe_subscription_id, user=payment.user)
