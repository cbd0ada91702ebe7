"""Stripe events about subscriptions and their invoices: each re-reads the subscription from Stripe."""

from billing import interface as billing

from .services import cards, sync

SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
INVOICE_EVENTS = ("invoice.paid", "invoice.payment_failed", "invoice.payment_succeeded")


def _object(payload: dict) -> dict:
    return (payload.get("data") or {}).get("object") or {}


def subscription_event(payload: dict) -> None:
    sync.sync_from_stripe(_object(payload).get("id", ""))


def invoice_event(payload: dict) -> None:
    invoice = _object(payload)
    sub_id = invoice.get("subscription") or (
        ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    )
    if sub_id:
        sync.sync_from_stripe(sub_id)


def card_update_event(payload: dict) -> None:
    session = _object(payload)
    if session.get("mode") == "setup" and (session.get("metadata") or {}).get("purpose") == cards.CARD_UPDATE:
        cards.apply_card_update(session["id"])


def register() -> None:
    billing.register_event_handler("checkout.session.completed", card_update_event)
    for event_type in SUBSCRIPTION_EVENTS:
        billing.register_event_handler(event_type, subscription_event)
    for event_type in INVOICE_EVENTS:
        billing.register_event_handler(event_type, invoice_event)
