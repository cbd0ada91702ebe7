import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from accounts.roles import sync_staff_groups
from accounts.tests.factories import StaffUserFactory
from billing.models import Payment, Refund, StripeEvent
from billing.tests.support import paid_payment, pay, start_test_checkout

from .factories import FailedPaymentFactory, RefundFactory, StripeEventFactory, SucceededPaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _staff_in(group_name):
    sync_staff_groups()
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name=group_name))
    return user


# Payments ----------------------------------------------------------------------------------


def test_payments_changelist_with_search_and_filters(admin_client, user, other_user):
    paid = SucceededPaymentFactory(user=user, purpose="test")
    failed = FailedPaymentFactory(user=other_user, purpose="course")
    url = reverse("admin:billing_payment_changelist")
    page = admin_client.get(url).content.decode()
    assert paid.description in page and failed.description in page
    for query in (user.email, paid.receipt_number, paid.stripe_payment_intent_id):
        page = admin_client.get(url, {"q": query}).content.decode()
        assert paid.description in page, query
        assert failed.description not in page, query
    page = admin_client.get(url, {"status__exact": "failed"}).content.decode()
    assert failed.description in page and paid.description not in page
    page = admin_client.get(url, {"purpose": "test"}).content.decode()
    assert paid.description in page and failed.description not in page
    page = admin_client.get(url, {"created_at__gte": "2000-01-01"}).content.decode()
    assert admin_client.get(url, {"created_at__gte": "2000-01-01"}).status_code == 200
    assert paid.description in page


def test_payment_change_page_offers_refund_and_receipt(admin_client, user):
    payment = SucceededPaymentFactory(user=user)
    RefundFactory(payment=payment, amount=100)
    page = admin_client.get(reverse("admin:billing_payment_change", args=[payment.pk])).content.decode()
    assert reverse("admin:billing_payment_refund", args=[payment.pk]) in page
    assert reverse("billing:receipt", args=[payment.pk]) in page
    assert "Requested by the learner" in page  # the refund inline


def test_refund_view_partial_then_over_refund(
    admin_client, user, emulator, test_purpose, django_capture_on_commit_callbacks
):
    payment = paid_payment(user, amount=3000)
    url = reverse("admin:billing_payment_refund", args=[payment.pk])
    page = admin_client.get(url).content.decode()
    assert "$30.00" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"amount": "1000", "reason": "Course moved"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:billing_payment_change", args=[payment.pk])
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.source) == (1000, "succeeded", "staff")
    assert test_purpose.revoked == [("revoke", payment.pk, 1000)]
    assert [m.subject for m in mail.outbox] == [f"Your refund for {payment.description}"]
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 1000)

    response = admin_client.post(url, {"amount": "2001", "reason": "Too much"})
    assert response.status_code == 200
    assert "At most 2000 USD minor units can still be refunded." in response.content.decode()
    response = admin_client.post(url, {"amount": "", "reason": ""})
    assert "This field is required" in response.content.decode()
    assert Refund.objects.count() == 1


def test_refund_action_refunds_the_rest_in_full(admin_client, user, emulator, test_purpose):
    payment = paid_payment(user, amount=3000)
    from billing.services import refund_payment

    refund_payment(payment, amount=1000, reason="First")
    response = admin_client.post(
        reverse("admin:billing_payment_changelist"),
        {"action": "refund_in_full", "_selected_action": [str(payment.pk)]},
        follow=True,
    )
    assert "1 payment(s) refunded." in response.content.decode()
    assert [c for c in test_purpose.calls if c[0] == "revoke"] == [
        ("revoke", payment.pk, 1000),
        ("revoke", payment.pk, 2000),
    ]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    response = admin_client.post(
        reverse("admin:billing_payment_changelist"),
        {"action": "refund_in_full", "_selected_action": [str(payment.pk)]},
        follow=True,
    )
    assert "already been refunded in full" in response.content.decode()


def test_finance_may_refund_and_support_may_not(client, user, emulator, test_purpose):
    payment = paid_payment(user)
    url = reverse("admin:billing_payment_refund", args=[payment.pk])
    client.force_login(_staff_in("Support"))
    assert client.post(url, {"reason": "x"}).status_code == 403  # the console refuses the page itself
    assert not Refund.objects.exists()
    client.force_login(_staff_in("Finance"))
    assert client.post(url, {"reason": "x"}).status_code == 302
    assert Refund.objects.get().amount == payment.amount


def test_revenue_page_shows_gross_refunds_and_net(admin_client, user):
    SucceededPaymentFactory(user=user, amount=2000, purpose="test")
    refunded = SucceededPaymentFactory(user=user, amount=1000, purpose="course", amount_refunded=250)
    RefundFactory(payment=refunded, amount=250)
    FailedPaymentFactory(user=user, amount=99999)
    page = admin_client.get(reverse("admin:billing_revenue")).content.decode()
    assert "Today" in page and "7 days" in page and "30 days" in page
    assert "$30.00" in page  # gross
    assert "$2.50" in page  # refunds
    assert "$27.50" in page  # net
    assert "$999.99" not in page
    assert "bar-chart" in page
    assert "cdn" not in page.lower()


# Events ------------------------------------------------------------------------------------


def test_events_changelist_and_change_page(admin_client):
    event = StripeEventFactory(status=StripeEvent.Status.FAILED, last_error="RuntimeError: boom")
    page = admin_client.get(reverse("admin:billing_stripeevent_changelist")).content.decode()
    assert event.event_id in page and "RuntimeError: boom" in page
    page = admin_client.get(reverse("admin:billing_stripeevent_changelist"), {"status__exact": "failed"})
    assert event.event_id in page.content.decode()
    page = admin_client.get(reverse("admin:billing_stripeevent_change", args=[event.pk])).content.decode()
    assert "checkout.session.completed" in page and "<pre>" in page


def test_replay_action_turns_a_failed_event_into_processed(admin_client, user, emulator, test_purpose):
    start = start_test_checkout(user)
    assert pay(start.url).ok
    session_id = start.payment.stripe_checkout_session_id
    event = StripeEventFactory(
        type="checkout.session.completed",
        object_id=session_id,
        status=StripeEvent.Status.FAILED,
        attempts=6,
        last_error="RuntimeError: worker lost",
        payload={"id": "evt_replay", "type": "checkout.session.completed", "data": {"object": {"id": session_id}}},
    )
    response = admin_client.post(
        reverse("admin:billing_stripeevent_changelist"),
        {"action": "replay", "_selected_action": [event.pk]},
        follow=True,
    )
    assert "1 event(s) replayed." in response.content.decode()
    event.refresh_from_db()
    assert (event.status, event.last_error, event.attempts) == (StripeEvent.Status.SUCCEEDED, "", 7)
    assert event.processed_at is not None
    payment = Payment.objects.get(pk=start.payment.pk)
    assert payment.status == Payment.Status.SUCCEEDED
    assert test_purpose.calls == [("fulfil", payment.pk)]


def test_replay_that_fails_again_is_reported(admin_client, emulator):
    event = StripeEventFactory(
        type="checkout.session.completed",
        status=StripeEvent.Status.FAILED,
        payload={"id": "evt_x", "type": "checkout.session.completed", "data": {"object": {"id": "cs_test_gone"}}},
    )
    response = admin_client.post(
        reverse("admin:billing_stripeevent_changelist"),
        {"action": "replay", "_selected_action": [event.pk]},
        follow=True,
    )
    assert "evt_" in response.content.decode()
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.FAILED
    assert event.last_error
