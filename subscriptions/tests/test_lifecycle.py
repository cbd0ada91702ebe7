"""Subscriptions end to end against the emulator: Checkout, webhooks to the live server, test clocks."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from billing.tests.support import CARD_DECLINED, CARD_OK, pay
from subscriptions import access
from subscriptions.errors import NoSubscription, SubscriptionError
from subscriptions.models import Entitlement, Subscription
from subscriptions.services import cards, plan_changes, subscribing, sync

from .conftest import DAY

pytestmark = pytest.mark.django_db(transaction=True)


def card_starts_failing(emulator, customer_id: str, sub: Subscription) -> None:
    """The learner's card stops working (attaches fine, every charge fails) before the renewal."""
    client = emulator.stripe_client()
    pm = client.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer_id})
    client.subscriptions.update(sub.stripe_subscription_id, params={"default_payment_method": pm.id})


def subscribe(user, hooks, tier="pro", interval="month", card=CARD_OK) -> Subscription:
    start = subscribing.start_subscription(user, tier, interval)
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

    preview = plan_changes.preview_change(user, "enterprise", "month")
    assert preview.kind == "upgrade"
    assert 0 < preview.amount_due_now < 9900 - 999  # prorated: less than a full month's difference
    result = plan_changes.change_plan(user, "enterprise", "month", proration_date=preview.proration_date)
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

    preview = plan_changes.preview_change(user, "pro", "month")
    assert preview.kind == "downgrade" and preview.amount_due_now == 0
    result = plan_changes.change_plan(user, "pro", "month")
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
    plan_changes.cancel(user)
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
    plan_changes.cancel(user)
    plan_changes.resume(user)
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


def _past_due(user, hooks, clock, emulator) -> tuple[Subscription, int]:
    customer_id = clock.customer_for(user)
    sub = subscribe(user, hooks)
    card_starts_failing(emulator, customer_id, sub)
    end = _period_end_ts(sub)
    clock.advance_to(end + 3600)
    hooks.deliver()
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.PAST_DUE
    return sub, end


def _session_id(redirect: str) -> str:
    assert "/subscriptions/card/updated/?session_id=" in redirect, redirect
    return redirect.rsplit("=", 1)[1]


def test_updating_the_card_retries_the_failed_renewal_at_once(stripe_webhooks, catalog, clock, user, emulator):
    sub, _end = _past_due(user, stripe_webhooks, clock, emulator)
    url = cards.start_card_update(user)
    declined = pay(url, CARD_DECLINED, email=user.email)
    assert not declined.ok and "declined" in declined.page  # the hosted page says so; nothing changed
    saved = pay(url, "5555555555554444", email=user.email)
    assert saved.ok, saved.page

    result = cards.apply_card_update(_session_id(saved.redirect), user=user)
    assert result.retried and result.paid
    assert result.card == "Mastercard ending 4444"
    assert "overdue payment went through" in result.summary
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE and sub.grace_until is None
    assert access.has_feature(user, "pro_library")

    # The webhook for the same Checkout arrives afterwards (and twice): nothing is charged again.
    stripe_webhooks.deliver()
    again = cards.apply_card_update(_session_id(saved.redirect), user=user)
    assert not again.retried
    invoices = emulator.stripe_client().invoices.list(params={"subscription": sub.stripe_subscription_id}).data
    assert sorted(i.status for i in invoices) == ["paid", "paid"]
    assert sum(i.amount_paid for i in invoices) == 2 * 999
    assert sum(1 for s in subjects() if s == "Your Lyceum subscription payment went through") == 1


def test_the_card_update_webhook_alone_recovers_the_subscription(stripe_webhooks, catalog, clock, user, emulator):
    sub, _end = _past_due(user, stripe_webhooks, clock, emulator)
    saved = pay(cards.start_card_update(user), CARD_OK, email=user.email)
    assert saved.ok
    stripe_webhooks.deliver()  # the learner closed the tab before the return page loaded
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE
    assert "Your Lyceum subscription payment went through" in subjects()


def test_a_new_card_that_also_fails_keeps_past_due_and_says_why(stripe_webhooks, catalog, clock, user, emulator):
    sub, _end = _past_due(user, stripe_webhooks, clock, emulator)
    saved = pay(cards.start_card_update(user), "4000000000000341", email=user.email)
    assert saved.ok  # this test card saves fine and declines only when charged
    result = cards.apply_card_update(_session_id(saved.redirect), user=user)
    assert result.retried and not result.paid
    assert "overdue payment failed" in result.summary and "declined" in result.failure
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.PAST_DUE
    assert access.has_feature(user, "pro_library")  # still in the grace period


def test_card_update_of_an_active_subscription_changes_only_the_card(stripe_webhooks, catalog, clock, user, emulator):
    sub = subscribe(user, stripe_webhooks)
    saved = pay(cards.start_card_update(user), "5555555555554444", email=user.email)
    result = cards.apply_card_update(_session_id(saved.redirect), user=user)
    assert not result.retried and result.summary.startswith("Your card is updated: Mastercard ending 4444")
    stripe_sub = emulator.stripe_client().subscriptions.retrieve(
        sub.stripe_subscription_id, params={"expand": ["default_payment_method"]}
    )
    assert stripe_sub.default_payment_method.card.last4 == "4444"


def test_card_update_refusals(stripe_webhooks, catalog, clock, user, other_user, emulator):
    with pytest.raises(NoSubscription):
        cards.start_card_update(user)  # nothing to update
    subscribe(user, stripe_webhooks)
    url = cards.start_card_update(user)
    session_id = url.rsplit("/", 1)[1]
    with pytest.raises(SubscriptionError) as not_saved:
        cards.apply_card_update(session_id, user=user)
    assert not_saved.value.code == "card_not_saved"
    saved = pay(url, CARD_OK, email=user.email)
    with pytest.raises(NoSubscription):
        cards.apply_card_update(_session_id(saved.redirect), user=other_user)


def test_card_update_pages(client, stripe_webhooks, catalog, clock, user, emulator):
    _past_due(user, stripe_webhooks, clock, emulator)
    client.force_login(user)
    manage = client.get("/subscriptions/manage/")
    assert b'href="#card"' in manage.content and b"Update card" in manage.content
    started = client.post("/subscriptions/card/")
    assert started.status_code == 302 and "/checkout/cs_test_" in started["Location"]
    saved = pay(started["Location"], CARD_OK, email=user.email)
    back = client.get(saved.redirect.split("testserver", 1)[-1].replace(settings.SITE_URL, ""), follow=True)
    assert back.redirect_chain[-1][0] == "/subscriptions/manage/"
    assert "overdue payment went through" in back.content.decode()
    assert b"Active" in back.content

    bogus = client.get("/subscriptions/card/updated/?session_id=nope", follow=True)
    assert "That link is not a card update. Nothing changed." in bogus.content.decode()


@pytest.mark.postgres
def test_concurrent_first_syncs_create_one_subscription_and_one_welcome(emulator, catalog, user):
    """The return page and the webhooks can all meet a new Stripe subscription at the same moment."""
    import threading

    from django.db import connection

    start = subscribing.start_subscription(user, "pro", "month")
    assert pay(start.url, CARD_OK, email=user.email).ok
    sub_id = (
        emulator.stripe_client().v1.checkout.sessions.retrieve(start.payment.stripe_checkout_session_id).subscription
    )
    barrier, errors = threading.Barrier(4), []

    def run_sync():
        try:
            barrier.wait()
            sync.sync_from_stripe(sub_id, user=user)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run_sync) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Subscription.objects.filter(stripe_subscription_id=sub_id).count() == 1
    assert Entitlement.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    assert subjects().count("Welcome to Lyceum Pro") == 1


def test_stripe_failing_during_the_retry_is_raised_so_the_webhook_tries_again(
    stripe_webhooks, catalog, clock, user, emulator
):
    from billing.errors import PaymentProviderUnavailable

    sub, _end = _past_due(user, stripe_webhooks, clock, emulator)
    saved = pay(cards.start_card_update(user), CARD_OK, email=user.email)
    emulator.control.fault("error", 1, status=500, path="/v1/invoices", method="POST")
    with pytest.raises(PaymentProviderUnavailable):  # not reported as "the card failed"
        cards.apply_card_update(_session_id(saved.redirect), user=user)
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.PAST_DUE
    again = cards.apply_card_update(_session_id(saved.redirect), user=user)  # the retry
    assert again.retried and again.paid
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE
