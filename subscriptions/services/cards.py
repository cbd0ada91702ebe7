"""Updating the subscription's card (a setup-mode Checkout) and retrying an unpaid invoice with it."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from billing import interface as billing
from billing.interface import CardDeclined
from config.errors import DomainError

from ..errors import NoSubscription, SubscriptionError
from ..models import Subscription
from .plan_changes import change_key, live_or_raise
from .sync import StripeView, stripe_id, sync_from_stripe

logger = logging.getLogger(__name__)

CARD_UPDATE = "card_update"


def start_card_update(user) -> str:
    """A hosted Checkout page (setup mode) where the subscriber saves a new card; returns its URL."""
    sub = live_or_raise(user)
    if not sub.stripe_customer_id:
        raise SubscriptionError("Your subscription has no billing account yet.", code="no_customer", status_code=409)
    metadata = {"purpose": CARD_UPDATE, "subscription": sub.stripe_subscription_id}
    session = billing.create_setup_session(
        key=change_key(sub, "card-update"),  # a repeated click within the same state of our row reuses the page
        customer=sub.stripe_customer_id,
        currency=sub.tier.currency,
        success_url=settings.SITE_URL + reverse("subscriptions:card_updated") + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=settings.SITE_URL + reverse("subscriptions:manage"),
        metadata=metadata,
    )
    return session["url"]


@dataclass
class CardUpdate:
    subscription: Subscription
    card: str  # e.g. "Visa ending 4444"
    retried: bool  # an unpaid renewal was retried with the new card
    paid: bool  # ... and it went through
    failure: str = ""

    @property
    def summary(self) -> str:
        if not self.retried:
            return f"Your card is updated: {self.card} will be charged from now on."
        if self.paid:
            return f"Your card is updated and the overdue payment went through with {self.card}. Thank you!"
        return f"Your card ({self.card}) is saved, but the overdue payment failed: {self.failure}"


def _card_label(payment_method: dict) -> str:
    card = (payment_method or {}).get("card") or {}
    brand = (card.get("brand") or "card").replace("_", " ").title()
    return f"{brand} ending {card.get('last4', '????')}"


def apply_card_update(session_id: str, *, user=None) -> CardUpdate:
    """Make the card saved in a setup-mode Checkout the subscription's card; retry an unpaid invoice with it.

    Called from the return page and from the `checkout.session.completed` webhook, in any order and
    any number of times: every Stripe call carries a key derived from the session, the card is set
    only while it is not the default yet, and an invoice is retried only while it is still open.
    """
    if not (session_id or "").startswith("cs_"):
        raise SubscriptionError("That link is not a card update. Nothing changed.", code="not_card_update")
    session = billing.retrieve_checkout_session(session_id)
    meta = session.get("metadata") or {}
    if session.get("mode") != "setup" or meta.get("purpose") != CARD_UPDATE:
        raise SubscriptionError("That link is not a card update. Nothing changed.", code="not_card_update")
    sub = (
        Subscription.objects.filter(stripe_subscription_id=meta.get("subscription", "")).select_related("user").first()
    )
    if sub is None or (user is not None and sub.user_id != user.pk):
        raise NoSubscription("That card update belongs to no subscription of yours.")
    if session.get("status") != "complete":
        raise SubscriptionError(
            "The new card was not saved. Nothing changed; you can try again.", code="card_not_saved", status_code=409
        )
    pm_id = stripe_id((session.get("setup_intent") or {}).get("payment_method"))
    data = billing.retrieve_subscription(sub.stripe_subscription_id)
    if stripe_id(data.get("default_payment_method")) != pm_id:
        billing.update_customer(sub.stripe_customer_id, invoice_settings={"default_payment_method": pm_id})
        billing.modify_subscription(
            sub.stripe_subscription_id,
            idempotency_key=change_key(sub, f"card-{session_id}"),
            default_payment_method=pm_id,
        )
        data = billing.retrieve_subscription(sub.stripe_subscription_id)
    view = StripeView.parse(data)
    pm = data.get("default_payment_method")
    result = CardUpdate(
        subscription=sub, card=_card_label(pm if pm and not isinstance(pm, str) else {}), retried=False, paid=False
    )
    invoice = view.latest_invoice
    if view.status == Subscription.Status.PAST_DUE and invoice.get("status") == "open":
        result.retried = True
        try:
            result.paid = (
                billing.pay_invoice(invoice["id"], key=f"{invoice['id']}-{session_id}").get("status") == "paid"
            )
        except CardDeclined as exc:
            result.failure = exc.message
        except DomainError:
            # Stripe unreachable, or the webhook and the return page retried at the same moment: the
            # invoice knows whether the money came in; if it did not, let the caller try again.
            if billing.retrieve_invoice(invoice["id"]).get("status") != "paid":
                raise
            result.paid = True
    result.subscription = sync_from_stripe(sub.stripe_subscription_id, user=sub.user) or sub
    return result
