"""Stripe events about licence subscriptions and their invoices: each re-reads the subscription from Stripe."""

from billing.interface import register_event_handler

from .services import payments

SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
INVOICE_EVENTS = (
    "invoice.finalized",
    "invoice.sent",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
    "invoice.overdue",
    "invoice.voided",
    "invoice.marked_uncollectible",
)


def _object(payload: dict) -> dict:
    return (payload.get("data") or {}).get("object") or {}


def subscription_event(payload: dict) -> None:
    subscription = _object(payload)
    if payments.is_licence_subscription(subscription):
        payments.sync_licence(subscription.get("id", ""))


def invoice_event(payload: dict) -> None:
    invoice = _object(payload)
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    if (details.get("metadata") or {}).get("purpose") == payments.PURPOSE:
        payments.sync_licence(details.get("subscription") or invoice.get("subscription") or "")


def register() -> None:
    for event_type in SUBSCRIPTION_EVENTS:
        register_event_handler(event_type, subscription_event)
    for event_type in INVOICE_EVENTS:
        register_event_handler(event_type, invoice_event)
