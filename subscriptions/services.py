"""Subscription and entitlement workflows. Stripe is reached only through billing (gateway/services).

How state converges: every path (return from Checkout, each webhook, our own changes, the refund hook)
ends in `sync_from_stripe`, which re-reads the subscription from Stripe and applies it under a row
lock. Side effects (entitlement segments, e-mails) follow from the change between our row's previous
state and Stripe's current state, so duplicated and out-of-order events do nothing twice.

Plan changes:
- upgrade (higher tier, or monthly → annual): takes effect at once; Stripe prorates with
  `proration_behavior=always_invoice` at the preview's `proration_date`, so the charge equals the preview.
- downgrade (lower tier, or annual → monthly): the Stripe price is switched at once with
  `proration_behavior=none` (nothing charged or credited, the next renewal bills the new price) and we
  store the pending change; our row and the entitlement keep the higher tier until the period ends,
  then the renewal applies it. (Stripe keeps the billing anchor on interval changes in the emulator;
  real Stripe resets it for annual → monthly, where a subscription schedule would be the exact tool.)
- Free is never a Stripe plan: "change to Free" is cancel at period end.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from billing import interface as billing
from billing.interface import (
    CardDeclined,
    CheckoutItem,
    CheckoutStart,
    Customer,
    Payment,
    get_or_create_customer,
    start_checkout,
)
from config.errors import DomainError

from . import selectors
from .errors import AlreadySubscribed, NoSubscription, SamePlan, SubscriptionError, UnknownTier
from .models import Entitlement, Interval, Subscription, Tier

logger = logging.getLogger(__name__)

PURPOSE = "subscription"


def grace_days() -> int:
    return int(getattr(settings, "SUBSCRIPTIONS_GRACE_DAYS", 7))


# Entitlements (used by other apps and staff) --------------------------------------------------


def _tier(tier: Tier | str) -> Tier:
    if isinstance(tier, Tier):
        return tier
    found = Tier.objects.filter(code=tier).first()
    if found is None:
        raise UnknownTier(f"There is no tier “{tier}”.", fields={"tier": ["Unknown tier."]})
    return found


@transaction.atomic
def grant_entitlement(
    user,
    tier: Tier | str,
    source: str,
    *,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    reason: str = "",
    granted_by=None,
    reference: str = "",
    subscription: Subscription | None = None,
) -> Entitlement:
    """Let `user` use `tier`'s features from valid_from (default now) until valid_until (None: open-ended)."""
    tier = _tier(tier)
    reason = (reason or "").strip()
    if source not in Entitlement.Source.values:
        raise SubscriptionError(f"Unknown entitlement source “{source}”.", code="invalid_source")
    if source == Entitlement.Source.STAFF_GRANT and not reason:
        raise SubscriptionError(
            "Give a reason for the complimentary access.", code="reason_required", fields={"reason": ["Required."]}
        )
    if tier.is_free:
        raise SubscriptionError(
            "Everyone has Free; grant a paid tier.", code="invalid_tier", fields={"tier": ["Free."]}
        )
    valid_from = valid_from or timezone.now()
    if valid_until is not None and valid_until <= valid_from:
        raise SubscriptionError(
            "The end must be after the start.", code="invalid_window", fields={"valid_until": ["Before the start."]}
        )
    return Entitlement.objects.create(
        user=user,
        tier=tier,
        source=source,
        subscription=subscription,
        valid_from=valid_from,
        valid_until=valid_until,
        reason=reason[:255],
        granted_by=granted_by,
        reference=reference[:120],
    )


@transaction.atomic
def revoke_entitlement(entitlement: Entitlement, *, reason: str, revoked_by=None) -> Entitlement:
    """End an entitlement now. The row stays (with who and why) for the record."""
    reason = (reason or "").strip()
    if not reason:
        raise SubscriptionError(
            "Give a reason for revoking access.", code="reason_required", fields={"reason": ["Required."]}
        )
    locked = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_by = revoked_by
        locked.revoke_reason = reason[:255]
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
    return locked


def revoke_entitlements(user, *, source: str, reference: str, reason: str, revoked_by=None) -> int:
    """Revoke every live entitlement a source granted (e.g. a licence seat being unassigned)."""
    rows = Entitlement.objects.filter(user=user, source=source, reference=reference, revoked_at__isnull=True)
    count = 0
    for row in rows:
        revoke_entitlement(row, reason=reason, revoked_by=revoked_by)
        count += 1
    return count


# Subscribing ----------------------------------------------------------------------------------


def _check_interval(interval: str) -> str:
    if interval not in Interval.values:
        raise SubscriptionError(
            "Choose monthly (month) or annual (year) billing.",
            code="invalid_interval",
            fields={"interval": ["Invalid."]},
        )
    return interval


def _paid_tier(code: str) -> Tier:
    tier = selectors.get_tier(code)
    if tier is None:
        raise UnknownTier(f"There is no tier “{code}”.", fields={"tier": ["Unknown tier."]})
    return tier


def checkout_items(user, reference: str) -> tuple[list[CheckoutItem], str, str]:
    """What billing charges for reference "tier:interval" (the purpose's checkout hook)."""
    code, _, interval = (reference or "").partition(":")
    tier = _paid_tier(code)
    _check_interval(interval)
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
    )


# Applying Stripe's state ----------------------------------------------------------------------


def _ts(value) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _id(value) -> str:
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
            customer=_id(data.get("customer")),
            status=STATUS_MAP.get(data.get("status"), Subscription.Status.INCOMPLETE),
            price_id=_id(item.get("price")),
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
    sub_id = _id(subscription)
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
    from . import tasks

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


# Billing's purpose hooks ----------------------------------------------------------------------


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


# Changing plan --------------------------------------------------------------------------------


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


def _live_or_raise(user) -> Subscription:
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
    tier = _paid_tier(tier_code) if tier_code else sub.tier
    interval = _check_interval(interval or sub.interval)
    if not tier.is_free and not tier.price_id(interval):
        raise SubscriptionError(f"{tier.name} cannot be bought yet.", code="not_for_sale")
    return tier, interval


def preview_change(user, tier_code: str, interval: str | None = None) -> ChangePreview:
    """What changing to tier/interval would cost now (Stripe's invoice preview) and when it applies."""
    sub = _live_or_raise(user)
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


def _ikey(sub: Subscription, action: str) -> str:
    # Our row changes with every applied change, so a retried click replays but a later change is new.
    return f"lyceum-subscription-{sub.pk}-{action}-{sub.updated_at.timestamp():.6f}"


def change_plan(
    user, tier_code: str, interval: str | None = None, *, proration_date: int | None = None
) -> ChangeResult:
    """Apply a plan change: upgrades at once (prorated, charged now), downgrades at the period end."""
    sub = _live_or_raise(user)
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
            idempotency_key=_ikey(sub, f"upgrade-{price_id}"),
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
        idempotency_key=_ikey(sub, f"{kind}-{target_price}"),
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
            from . import tasks

            transaction.on_commit(lambda: tasks.send_subscription_email.delay(locked.pk, "downgrade_scheduled", 0))
    synced = sync_from_stripe(sub.stripe_subscription_id, user=user)
    return ChangeResult(kind, synced, 0, synced.pending_effective_at if kind == "downgrade" else None)


def cancel(user) -> Subscription:
    """Cancel at the end of the paid period; access stays until then."""
    sub = _live_or_raise(user)
    if sub.cancel_at_period_end:
        raise SubscriptionError(
            "Your subscription is already set to end at the end of this period.",
            code="already_canceling",
            status_code=409,
        )
    billing.modify_subscription(
        sub.stripe_subscription_id, idempotency_key=_ikey(sub, "cancel"), cancel_at_period_end=True
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
        sub.stripe_subscription_id, idempotency_key=_ikey(sub, "resume"), cancel_at_period_end=False
    )
    return sync_from_stripe(sub.stripe_subscription_id, user=user)


# Updating the card -------------------------------------------------------------------------------

CARD_UPDATE = "card_update"


def start_card_update(user) -> str:
    """A hosted Checkout page (setup mode) where the subscriber saves a new card; returns its URL."""
    sub = _live_or_raise(user)
    if not sub.stripe_customer_id:
        raise SubscriptionError("Your subscription has no billing account yet.", code="no_customer", status_code=409)
    metadata = {"purpose": CARD_UPDATE, "subscription": sub.stripe_subscription_id}
    session = billing.create_setup_session(
        key=_ikey(sub, "card-update"),  # a repeated click within the same state of our row reuses the page
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
    pm_id = _id((session.get("setup_intent") or {}).get("payment_method"))
    data = billing.retrieve_subscription(sub.stripe_subscription_id)
    if _id(data.get("default_payment_method")) != pm_id:
        billing.update_customer(sub.stripe_customer_id, invoice_settings={"default_payment_method": pm_id})
        billing.modify_subscription(
            sub.stripe_subscription_id, idempotency_key=_ikey(sub, f"card-{session_id}"), default_payment_method=pm_id
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


def customer_for(user) -> Customer:
    return get_or_create_customer(user)


def invoices_for(sub: Subscription) -> list[dict]:
    """The subscription's invoices from Stripe, newest first (for payment history)."""
    try:
        return billing.list_invoices(customer=sub.stripe_customer_id, subscription=sub.stripe_subscription_id)
    except DomainError as exc:
        logger.warning("Could not list invoices for %s: %s", sub.stripe_subscription_id, exc)
        return []
