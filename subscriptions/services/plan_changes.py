"""Changing plan: preview, change, cancel at period end, resume."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from billing import interface as billing

from .. import selectors
from ..errors import NoSubscription, SamePlan, SubscriptionError
from ..models import Interval, Subscription, Tier
from .subscribing import check_interval, paid_tier
from .sync import StripeView, sync_from_stripe

logger = logging.getLogger(__name__)


@dataclass
class ChangePreview:
    kind: str  # upgrade | downgrade | cancel_pending_change | cancel
    tier: Tier
    interval: str
    amount_due_now: int
    currency: str
    effective_at: datetime | None
    proration_date: int | None
    next_amount: int

    @property
    def summary(self) -> str:
        from billing.interface import format_money

        if self.kind == "upgrade":
            return (
                f"You switch to {self.tier.name} ({Interval(self.interval).label.lower()}) now and pay "
                f"{format_money(self.amount_due_now, self.currency)} today for the rest of this period."
            )
        when = self.effective_at.strftime("%-d %B %Y") if self.effective_at else "the end of this period"
        if self.kind == "cancel":
            return f"Your subscription ends on {when}; you keep your plan until then and then have Free."
        if self.kind == "cancel_pending_change":
            return "Your scheduled change is withdrawn; you stay on your current plan."
        return (
            f"You keep your current plan until {when}; then you move to {self.tier.name} "
            f"({Interval(self.interval).label.lower()}) at {format_money(self.next_amount, self.currency)}. "
            "Nothing is charged today."
        )


def live_or_raise(user) -> Subscription:
    sub = selectors.live_subscription(user)
    if sub is None:
        raise NoSubscription("You have no subscription. Choose a plan on the pricing page.")
    return sub


def _classify(sub: Subscription, tier: Tier, interval: str) -> str:
    if tier.is_free:
        return "cancel"
    if sub.pending_tier_id:
        if tier.pk == sub.tier_id and interval == sub.interval:
            return "cancel_pending_change"
        if tier.pk == sub.pending_tier_id and interval == sub.pending_interval:
            raise SamePlan(f"Your change to {tier.name} is already scheduled.")
    if tier.pk == sub.tier_id and interval == sub.interval:
        raise SamePlan(f"You are already on {tier.name} ({Interval(interval).label.lower()}).")
    if tier.order > sub.tier.order or (tier.pk == sub.tier_id and interval == Interval.YEAR):
        if sub.pending_tier_id:
            raise SubscriptionError(
                "You have a scheduled change; withdraw it (choose your current plan) before upgrading.",
                code="change_pending",
                status_code=409,
            )
        return "upgrade"
    return "downgrade"


def _target(tier_code: str, interval: str | None, sub: Subscription) -> tuple[Tier, str]:
    tier = paid_tier(tier_code) if tier_code else sub.tier
    interval = check_interval(interval or sub.interval)
    if not tier.is_free and not tier.price_id(interval):
        raise SubscriptionError(f"{tier.name} cannot be bought yet.", code="not_for_sale")
    return tier, interval


def preview_change(user, tier_code: str, interval: str | None = None) -> ChangePreview:
    """What changing to tier/interval would cost now (Stripe's invoice preview) and when it applies."""
    sub = live_or_raise(user)
    tier, interval = _target(tier_code, interval, sub)
    kind = _classify(sub, tier, interval)
    preview = ChangePreview(
        kind=kind,
        tier=tier,
        interval=interval,
        amount_due_now=0,
        currency=sub.tier.currency,
        effective_at=sub.current_period_end,
        proration_date=None,
        next_amount=tier.price(interval),
    )
    if kind == "upgrade":
        view = StripeView.parse(billing.retrieve_subscription(sub.stripe_subscription_id))
        invoice = billing.preview_invoice(
            customer=view.customer,
            subscription=sub.stripe_subscription_id,
            subscription_details={
                "items": [{"id": view.item_id, "price": tier.price_id(interval)}],
                "proration_behavior": "always_invoice",
            },
        )
        preview.amount_due_now = invoice.get("amount_due", 0)
        preview.currency = invoice.get("currency") or preview.currency
        preview.proration_date = invoice.get("subscription_proration_date")
        preview.effective_at = timezone.now()
    elif kind == "cancel_pending_change":
        preview.next_amount = sub.price
    return preview


@dataclass
class ChangeResult:
    kind: str
    subscription: Subscription
    amount_charged: int
    effective_at: datetime | None


def change_key(sub: Subscription, action: str) -> str:
    # Our row changes with every applied change, so a retried click replays but a later change is new.
    return f"lyceum-subscription-{sub.pk}-{action}-{sub.updated_at.timestamp():.6f}"


def change_plan(
    user, tier_code: str, interval: str | None = None, *, proration_date: int | None = None
) -> ChangeResult:
    """Apply a plan change: upgrades at once (prorated, charged now), downgrades at the period end."""
    sub = live_or_raise(user)
    tier, interval = _target(tier_code, interval, sub)
    kind = _classify(sub, tier, interval)
    if kind == "cancel":
        return ChangeResult("cancel", cancel(user), 0, sub.current_period_end)
    view = StripeView.parse(billing.retrieve_subscription(sub.stripe_subscription_id))
    price_id = tier.price_id(interval)
    if kind == "upgrade":
        if sub.status == Subscription.Status.PAST_DUE:
            raise SubscriptionError("Settle the failed payment before upgrading.", code="past_due", status_code=409)
        params = {"items": [{"id": view.item_id, "price": price_id}], "proration_behavior": "always_invoice"}
        if isinstance(proration_date, int) and view.period_start and proration_date >= view.period_start.timestamp():
            params["proration_date"] = proration_date
        data = billing.modify_subscription(
            sub.stripe_subscription_id,
            idempotency_key=change_key(sub, f"upgrade-{price_id}"),
            payment_behavior="error_if_incomplete",
            expand=["latest_invoice"],
            **params,
        )
        invoice = data.get("latest_invoice")
        if not invoice or isinstance(invoice, str):
            invoice = billing.retrieve_invoice(invoice) if invoice else {}
        synced = sync_from_stripe(sub.stripe_subscription_id, user=user)
        return ChangeResult("upgrade", synced, invoice.get("amount_paid", 0), timezone.now())
    target_price = sub.tier.price_id(sub.interval) if kind == "cancel_pending_change" else price_id
    billing.modify_subscription(
        sub.stripe_subscription_id,
        idempotency_key=change_key(sub, f"{kind}-{target_price}"),
        items=[{"id": view.item_id, "price": target_price}],
        proration_behavior="none",
    )
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=sub.pk)
        if kind == "cancel_pending_change":
            locked.pending_tier, locked.pending_interval, locked.pending_effective_at = None, "", None
        else:
            locked.pending_tier, locked.pending_interval = tier, interval
            locked.pending_effective_at = view.period_end or locked.current_period_end
        locked.save(update_fields=["pending_tier", "pending_interval", "pending_effective_at", "updated_at"])
        if kind == "downgrade":
            from .. import tasks

            transaction.on_commit(lambda: tasks.send_subscription_email.delay(locked.pk, "downgrade_scheduled", 0))
    synced = sync_from_stripe(sub.stripe_subscription_id, user=user)
    return ChangeResult(kind, synced, 0, synced.pending_effective_at if kind == "downgrade" else None)


def cancel(user) -> Subscription:
    """Cancel at the end of the paid period; access stays until then."""
    sub = live_or_raise(user)
    if sub.cancel_at_period_end:
        raise SubscriptionError(
            "Your subscription is already set to end at the end of this period.",
            code="already_canceling",
            status_code=409,
        )
    billing.modify_subscription(
        sub.stripe_subscription_id, idempotency_key=change_key(sub, "cancel"), cancel_at_period_end=True
    )
    return sync_from_stripe(sub.stripe_subscription_id, user=user)


def resume(user) -> Subscription:
    """Undo a cancellation before the period ends."""
    sub = selectors.live_subscription(user)
    if sub is None:
        raise NoSubscription("You have no subscription to resume; choose a plan on the pricing page.")
    if not sub.cancel_at_period_end:
        raise SubscriptionError(
            "Your subscription is not set to end, so there is nothing to resume.", code="not_canceling", status_code=409
        )
    billing.modify_subscription(
        sub.stripe_subscription_id, idempotency_key=change_key(sub, "resume"), cancel_at_period_end=False
    )
    return sync_from_stripe(sub.stripe_subscription_id, user=user)
