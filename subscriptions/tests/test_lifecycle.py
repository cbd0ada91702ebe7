"""Subscriptions end to end against the emulator: Checkout, webhooks to the live server, test clocks."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from billing.testing import CARD_OK, pay
from subscriptions import access, services
from subscriptions.models import Entitlement, Subscription

from .conftest import DAY

pytestmark = pytest.mark.django_db(transaction=True)


def card_starts_failing(emulator, customer_id: str, sub: Subscription) -> None:
    """The learner's card stops working (attaches fine, every charge fails) before the renewal."""
    client = emulator.stripe_client()
    pm = client.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer_id})
    client.subscriptions.update(sub.stripe_subscription_id, params={"default_payment_method": pm.id})


def subscribe(user, hooks, tier="pro", interval="month", card=CARD_OK) -> Subscription:
    start = services.start_subscription(user, tier, interval)
    result = pay(start.url, card, email=user.email)
    assert result.ok, result.page
    hooks.deliver()
    return Subscription.objects.get(user=user)


def subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def test_subscribe_activates_pro_with_entitlement_and_email(stripe_webhooks, catalog, clock, user):
    clock.customer_for(user)
    assert not access.has_feature(user, "pro_library")

    sub = subscribe(user, stripe_webhooks)

    assert sub.status == Subscription.Status.ACTIVE
    assert sub.tier.code == "pro" and sub.interval == "month"
    period_end = datetime.fromtimestamp(clock.now, tz=UTC) + timedelta(days=28)
    assert sub.current_period_end >= period_end
    ent = Entitlement.objects.get(user=user)
    assert ent.source == "subscription" and ent.valid_until == sub.current_period_end
    assert access.has_feature(user, "pro_library")
    assert access.has_feature(user, "certificates")
    assert not access.has_feature(user, "priority_support")
    assert access.current_tier(user).code == "pro"
    assert "Welcome to Lyceum Pro" in subjects()
    assert sum(1 for s in subjects() if "Welcome" in s) == 1
    assert any("receipt" in s for s in subjects())


def _period_end_ts(sub) -> int:
    return int(sub.current_period_end.timestamp())


def test_upgrade_mid_period_charges_exactly_the_preview(stripe_webhooks, catalog, clock, user):
    clock.customer_for(user)
    subscribe(user, stripe_webhooks)
    clock.advance(10 * DAY)
    stripe_webhooks.deliver()

    preview = services.preview_change(user, "enterprise", "month")
    assert preview.kind == "upgrade"
    assert 0 < preview.amount_due_now < 9900 - 999  # prorated: less than a full month's difference
    result = services.change_plan(user, "enterprise", "month", proration_date=preview.proration_date)
    stripe_webhooks.deliver()

    assert result.kind == "upgrade"
    assert result.amount_charged == preview.amount_due_now
    sub = Subscription.objects.get(user=user)
    assert sub.tier.code == "enterprise"
    assert access.has_feature(user, "priority_support")
    assert any("now on Lyceum Enterprise" in s for s in subjects())


def test_downgrade_applies_at_period_end(stripe_webhooks, catalog, clock, user):
    clock.customer_for(user)
    sub = subscribe(user, stripe_webhooks, tier="enterprise")
    end = _period_end_ts(sub)
    clock.advance(5 * DAY)

    preview = services.preview_change(user, "pro", "month")
    assert preview.kind == "downgrade" and preview.amount_due_now == 0
    result = services.change_plan(user, "pro", "month")
    stripe_webhooks.deliver()
    assert result.kind == "downgrade"
    sub.refresh_from_db()
    assert sub.tier.code == "enterprise" and sub.pending_tier.code == "pro"
    assert "Your Lyceum plan change is scheduled" in subjects()

    clock.advance_to(end - DAY)
    stripe_webhooks.deliver()
    assert access.has_feature(user, "priority_support")  # keeps the higher tier until the period ends

    clock.advance_to(end + 60)
    stripe_webhooks.deliver()
    sub.refresh_from_db()
    assert sub.tier.code == "pro" and sub.pending_tier is None
    assert not access.has_feature(user, "priority_support")
    assert access.has_feature(user, "pro_library")
    renewal = [m for m in mail.outbox if "renewed" in m.subject]
    assert renewal and "$9.99" in renewal[-1].body  # the renewal billed the lower price


def test_cancel_keeps_access_until_period_end_not_a_day_after_then_resume_is_gone(
    stripe_webhooks, catalog, clock, user
):
    clock.customer_for(user)
    sub = subscribe(user, stripe_webhooks)
    end = _period_end_ts(sub)
    services.cancel(user)
    stripe_webhooks.deliver()
    sub.refresh_from_db()
    assert sub.cancel_at_period_end
    assert "Your Lyceum subscription will end" in subjects()

    clock.advance_to(end - 3600)
    stripe_webhooks.deliver()
    assert access.has_feature(user, "pro_library")

    clock.advance_to(end + DAY)
    stripe_webhooks.deliver()
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.CANCELED
    assert not access.has_feature(user, "pro_library")
    assert access.current_tier(user).code == "free"
    assert Entitlement.objects.get(user=user).valid_until == datetime.fromtimestamp(end, tz=UTC)
    assert "Your Lyceum subscription has ended" in subjects()


def test_resume_before_the_end_keeps_the_subscription(stripe_webhooks, catalog, clock, user):
    clock.customer_for(user)
    sub = subscribe(user, stripe_webhooks)
    end = _period_end_ts(sub)
    services.cancel(user)
    services.resume(user)
    stripe_webhooks.deliver()
    sub.refresh_from_db()
    assert not sub.cancel_at_period_end
    assert "Your Lyceum subscription continues" in subjects()

    clock.advance_to(end + DAY)
    stripe_webhooks.deliver()
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE
    assert access.has_feature(user, "pro_library")


def test_renewal_extends_access_and_confirms(stripe_webhooks, catalog, clock, user):
    clock.customer_for(user)
    sub = subscribe(user, stripe_webhooks)
    first_end = sub.current_period_end
    clock.advance_to(_period_end_ts(sub) + 3600)
    stripe_webhooks.deliver()
    sub.refresh_from_db()
    assert sub.current_period_end > first_end + timedelta(days=27)
    assert Entitlement.objects.get(user=user).valid_until == sub.current_period_end
    assert access.has_feature(user, "pro_library")
    assert sum(1 for s in subjects() if "has renewed" in s) == 1


def test_failed_renewal_past_due_grace_then_free(stripe_webhooks, catalog, clock, user, emulator):
    customer_id = clock.customer_for(user)
    sub = subscribe(user, stripe_webhooks)
    card_starts_failing(emulator, customer_id, sub)
    end = _period_end_ts(sub)

    clock.advance_to(end + 3600)
    stripe_webhooks.deliver()
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.PAST_DUE
    assert sub.grace_until == sub.current_period_start + timedelta(days=7)
    assert access.has_feature(user, "pro_library")  # grace period
    failed = [m for m in mail.outbox if "did not go through" in m.subject]
    assert len(failed) == 1 and "/subscriptions/manage/" in failed[0].body

    clock.advance_to(end + 4 * DAY)  # first retry (day 3) fails too
    stripe_webhooks.deliver()
    assert access.has_feature(user, "pro_library")
    assert sum(1 for s in subjects() if "did not go through" in s) == 1

    clock.advance_to(end + 8 * DAY)  # last retry on day 7 fails: Stripe gives up
    stripe_webhooks.deliver()
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.CANCELED
    assert not access.has_feature(user, "pro_library")
    assert access.current_tier(user).code == "free"
    assert "Your Lyceum subscription has ended" in subjects()
    assert any("after several tries" in m.body for m in mail.outbox)


def test_successful_retry_restores_active(stripe_webhooks, catalog, clock, user, emulator):
    customer_id = clock.customer_for(user)
    sub = subscribe(user, stripe_webhooks)
    card_starts_failing(emulator, customer_id, sub)
    end = _period_end_ts(sub)
    clock.advance_to(end + 3600)
    stripe_webhooks.deliver()
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.PAST_DUE

    # The learner updates the card; Stripe's next retry succeeds.
    client = emulator.stripe_client()
    pm = client.payment_methods.attach("pm_card_visa", params={"customer": customer_id})
    client.subscriptions.update(sub.stripe_subscription_id, params={"default_payment_method": pm.id})
    clock.advance_to(end + 4 * DAY)
    stripe_webhooks.deliver()
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE and sub.grace_until is None
    assert Entitlement.objects.get(user=user).valid_until == sub.current_period_end
    assert access.has_feature(user, "pro_library")
    assert "Your Lyceum subscription payment went through" in subjects()
    assert timezone.now() < sub.current_period_end
