"""Applying Stripe's state: every path ends in `sync_from_stripe`, which re-reads the subscription from
Stripe and applies it under a row lock. Side effects (entitlement segments, e-mails) follow from the change
between our row's previous state and Stripe's current state, so duplicated and out-of-order events do
nothing twice."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import interface as billing
from billing.interface import Customer

from .. import selectors
from ..models import Entitlement, Subscription, Tier
from .entitlements import grant_entitlement, revoke_entitlement

logger = logging.getLogger(__name__)


def grace_days() -> int:
    return int(getattr(settings, "SUBSCRIPTIONS_GRACE_DAYS", 7))


def _ts(value) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def stripe_id(value) -> str:
    if not value:
        return ""
    return value if isinstance(value, str) else value.get("id", "")


STATUS_MAP = {
    "active": Subscription.Status.ACTIVE,
    "trialing": Subscription.Status.ACTIVE,
    "past_due": Subscription.Status.PAST_DUE,
    "unpaid": Subscription.Status.PAST_DUE,
    "canceled": Subscription.Status.CANCELED,
    "incomplete_expired": Subscription.Status.CANCELED,
    "incomplete": Subscription.Status.INCOMPLETE,
}


@dataclass
class StripeView:
    """The parts of a Stripe subscription we act on."""

    id: str
    customer: str
    status: str
    price_id: str
    item_id: str
    period_start: datetime | None
    period_end: datetime | None
    cancel_at_period_end: bool
    canceled_at: datetime | None
    ended_at: datetime | None
    started_at: datetime | None
    cancel_reason: str
    latest_invoice: dict

    @classmethod
    def parse(cls, data: dict) -> "StripeView":
        items = (data.get("items") or {}).get("data") or [{}]
        item = items[0]
        latest = data.get("latest_invoice")
        if isinstance(latest, str):
            latest = billing.retrieve_invoice(latest)
        return cls(
            id=data["id"],
            customer=stripe_id(data.get("customer")),
            status=STATUS_MAP.get(data.get("status"), Subscription.Status.INCOMPLETE),
            price_id=stripe_id(item.get("price")),
            item_id=item.get("id", ""),
            period_start=_ts(item.get("current_period_start") or data.get("current_period_start")),
            period_end=_ts(item.get("current_period_end") or data.get("current_period_end")),
            cancel_at_period_end=bool(data.get("cancel_at_period_end")),
            canceled_at=_ts(data.get("canceled_at")),
            ended_at=_ts(data.get("ended_at")),
            started_at=_ts(data.get("start_date") or data.get("created")),
            cancel_reason=((data.get("cancellation_details") or {}).get("reason") or ""),
            latest_invoice=latest or {},
        )

    @property
    def cycle_unpaid(self) -> bool:
        """A renewal invoice exists but is not paid (yet)."""
        inv = self.latest_invoice
        return inv.get("billing_reason") == "subscription_cycle" and inv.get("status") in ("open", "draft")


def _user_for(view: StripeView, user=None):
    if user is not None:
        return user
    existing = Subscription.objects.filter(stripe_subscription_id=view.id).select_related("user").first()
    if existing:
        return existing.user
    customer = Customer.objects.filter(stripe_customer_id=view.customer).select_related("user").first()
    return customer.user if customer else None


def sync_from_stripe(subscription: str | dict, *, user=None) -> Subscription | None:
    """Re-read one Stripe subscription and bring our row, its entitlement and the e-mails in line."""
    sub_id = stripe_id(subscription)
    if not sub_id:
        return None
    view = StripeView.parse(billing.retrieve_subscription(sub_id))
    tier, interval = selectors.tier_for_price(view.price_id)
    if tier is None:
        logger.info("Stripe subscription %s has a price (%s) we do not sell; ignored", sub_id, view.price_id)
        return None
    owner = _user_for(view, user)
    if owner is None:
        logger.info("Stripe subscription %s belongs to no customer of ours; ignored", sub_id)
        return None
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().filter(stripe_subscription_id=sub_id).first()
        before = _snapshot(sub)
        previous_tier = sub.tier if sub else None
        if sub is None:
            # The return page and a webhook may both see the subscription first: one inserts, the
            # other waits for it and then carries on with the row as the first left it.
            try:
                with transaction.atomic():
                    sub = Subscription.objects.create(
                        user=owner, stripe_subscription_id=sub_id, tier=tier, interval=interval
                    )
            except IntegrityError:
                sub = Subscription.objects.select_for_update().get(stripe_subscription_id=sub_id)
                before, previous_tier = _snapshot(sub), sub.tier
        _apply(sub, view, tier, interval)
        sub.save()
        _sync_entitlement(sub, view, previous_tier)
        _notify(sub, before, view)
        if sub.status == Subscription.Status.ACTIVE and view.latest_invoice.get("status") == "paid":
            if sub.last_renewal_invoice_id != view.latest_invoice.get("id", ""):
                sub.last_renewal_invoice_id = view.latest_invoice.get("id", "")
                sub.save(update_fields=["last_renewal_invoice_id", "updated_at"])
        return sub


def _snapshot(sub: Subscription | None) -> dict:
    if sub is None:
        return {"status": None, "cancel_at_period_end": False, "tier_order": None, "renewal_invoice": ""}
    return {
        "status": sub.status,
        "cancel_at_period_end": sub.cancel_at_period_end,
        "tier_order": sub.tier.order,
        "renewal_invoice": sub.last_renewal_invoice_id,
    }


def _apply(sub: Subscription, view: StripeView, tier: Tier, interval: str) -> None:
    sub.stripe_customer_id = view.customer
    sub.status = view.status
    sub.current_period_start = view.period_start
    sub.current_period_end = view.period_end
    sub.cancel_at_period_end = view.cancel_at_period_end and view.status != Subscription.Status.CANCELED
    sub.canceled_at = view.canceled_at
    sub.ended_at = view.ended_at
    pending_not_due = (
        sub.pending_tier_id
        and sub.pending_effective_at
        and view.period_start
        and view.period_start < sub.pending_effective_at
    )
    if not pending_not_due:
        # Stripe's price is the plan (a pending downgrade took effect at the renewal, if there was one).
        sub.tier, sub.interval = tier, interval
        sub.pending_tier, sub.pending_interval, sub.pending_effective_at = None, "", None
    if view.status == Subscription.Status.PAST_DUE:
        unpaid_since = view.period_start or timezone.now()
        sub.grace_until = sub.grace_until or unpaid_since + timedelta(days=grace_days())
    else:
        sub.grace_until = None


def _paid_through(sub: Subscription, view: StripeView) -> datetime | None:
    if sub.status == Subscription.Status.INCOMPLETE:
        return None
    if sub.status == Subscription.Status.PAST_DUE:
        return sub.grace_until
    if sub.status == Subscription.Status.CANCELED:
        return view.ended_at or view.canceled_at or timezone.now()
    if view.cycle_unpaid:
        return view.period_start
    return view.period_end


def _sync_entitlement(sub: Subscription, view: StripeView, previous_tier: Tier | None) -> None:
    """One entitlement segment per tier held: extended, cut or split as Stripe's state says."""
    until = _paid_through(sub, view)
    segment = sub.entitlements.filter(revoked_at__isnull=True).order_by("-valid_from").first()
    now = timezone.now()
    if segment is None:
        start = min(view.started_at or now, now)
        if until and until > start:
            grant_entitlement(
                sub.user,
                sub.tier,
                Entitlement.Source.SUBSCRIPTION,
                valid_from=start,
                valid_until=until,
                reason=f"Subscription {sub.stripe_subscription_id}",
                reference=f"subscription:{sub.pk}",
                subscription=sub,
            )
        return
    if segment.tier_id == sub.tier_id:
        if until is None or until <= segment.valid_from:
            revoke_entitlement(segment, reason="The subscription ended before this period was paid.")
        elif segment.valid_until != until:
            segment.valid_until = until
            segment.save(update_fields=["valid_until", "updated_at"])
        return
    # The tier changed: an upgrade now, or a downgrade at the renewal that applied it.
    downgrade = previous_tier is not None and sub.tier.order < previous_tier.order
    boundary = (view.period_start or now) if downgrade else now
    boundary = max(boundary, segment.valid_from + timedelta(seconds=1))
    segment.valid_until = boundary
    segment.save(update_fields=["valid_until", "updated_at"])
    if until and until > boundary:
        grant_entitlement(
            sub.user,
            sub.tier,
            Entitlement.Source.SUBSCRIPTION,
            valid_from=boundary,
            valid_until=until,
            reason=f"Subscription {sub.stripe_subscription_id}",
            reference=f"subscription:{sub.pk}",
            subscription=sub,
        )


def _notify(sub: Subscription, before: dict, view: StripeView) -> None:
    from .. import tasks

    was, now_status = before["status"], sub.status
    kinds: list[str] = []
    if now_status == Subscription.Status.CANCELED and was != Subscription.Status.CANCELED and was is not None:
        kinds.append("ended_unpaid" if view.cancel_reason == "payment_failed" else "ended")
    elif now_status == Subscription.Status.PAST_DUE and was != Subscription.Status.PAST_DUE:
        kinds.append("payment_failed")
    elif now_status == Subscription.Status.ACTIVE:
        if was in (None, Subscription.Status.INCOMPLETE):
            kinds.append("started")
        elif was == Subscription.Status.PAST_DUE:
            kinds.append("recovered")
        elif (
            view.latest_invoice.get("billing_reason") == "subscription_cycle"
            and view.latest_invoice.get("status") == "paid"
            and view.latest_invoice.get("id") != before["renewal_invoice"]
        ):
            kinds.append("renewed")
        if before["tier_order"] is not None and sub.tier.order > before["tier_order"]:
            kinds.append("upgraded")
        if sub.cancel_at_period_end and not before["cancel_at_period_end"]:
            kinds.append("cancel_scheduled")
        elif before["cancel_at_period_end"] and not sub.cancel_at_period_end:
            kinds.append("resumed")
    amount = view.latest_invoice.get("amount_paid") or 0
    for kind in kinds:
        transaction.on_commit(lambda k=kind: tasks.send_subscription_email.delay(sub.pk, k, amount))
