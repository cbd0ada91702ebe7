"""Paying for a licence on the Stripe emulator: by invoice (send_invoice, net 30, the hosted invoice page) and by
card (Checkout, seats as the quantity). The licence becomes active once, whatever the webhooks do."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import VerifiedUserFactory
from billing.tests.support import pay
from licensing.models import Licence, LicenceEvent
from licensing.services import licences, payments, quotes, seats
from subscriptions.interface import has_feature

from .factories import sent_quote

pytestmark = pytest.mark.django_db(transaction=True)


def _accept(version, quote, buyer=None):
    buyer = buyer or VerifiedUserFactory(email="buyer@acme.example")
    licence = quotes.accept_quote(quote, version_id=version.pk, user=buyer, accept_terms=True)
    return licence, buyer


def _stripe_invoice(emulator, licence):
    return emulator.stripe_client().v1.invoices.retrieve(licence.stripe_invoice_id)


def test_invoice_licence_starts_on_acceptance_and_its_invoice_equals_the_quote(stripe_webhooks, emulator):
    quote, version = sent_quote(seats=25, unit_price=12000, discount_bps=1250, term_months=24)
    licence, buyer = _accept(version, quote)
    start = payments.start_payment(licence, buyer)
    stripe_webhooks.duplicate()
    stripe_webhooks.deliver()
    licence.refresh_from_db()
    invoice = _stripe_invoice(emulator, licence)
    assert invoice.total == version.total == 25 * 21000  # 2 years × 120.00 less 12.5%, × 25 seats
    assert invoice.collection_method == "send_invoice" and invoice.status == "open"
    assert invoice.lines.data[0].quantity == 25
    assert licence.status == Licence.Status.ACTIVE and licence.paid_at is None
    assert start.redirect_url == licence.hosted_invoice_url == invoice.hosted_invoice_url
    assert licence.invoice_due_at.timestamp() == invoice.due_date
    assert (licence.invoice_due_at - timezone.now()).days in (29, 30)
    assert (licence.ends_at - licence.term_started_at).days in (730, 731)
    assert [m.subject for m in mail.outbox if "invoice" in m.subject.lower()] == [
        f"Your Lyceum invoice for {licence.organisation.name}"
    ]
    sent = [d for d in stripe_webhooks.deliveries() if d["type"] == "invoice.sent"]
    assert sent, "the invoice was sent for payment"

    # The buyer pays on the hosted invoice page; invoice.paid arrives duplicated and shuffled.
    stripe_webhooks.hold()
    stripe_webhooks.duplicate()
    assert emulator.control.pay_invoice(invoice.id)["ok"]
    stripe_webhooks.deliver()
    licence.refresh_from_db()
    assert licence.paid_at is not None and licence.invoice_status == "paid"
    assert licence.status == Licence.Status.ACTIVE
    assert LicenceEvent.objects.filter(licence=licence, kind="status_active").count() == 1


def test_invoice_licence_that_waits_for_payment_activates_once_paid(stripe_webhooks, emulator):
    quote, version = sent_quote(seats=3, unit_price=50000, start_on_acceptance=False)
    licence, buyer = _accept(version, quote)
    payments.start_payment(licence, buyer)
    stripe_webhooks.deliver()
    licence.refresh_from_db()
    assert licence.status == Licence.Status.PENDING_PAYMENT and licence.hosted_invoice_url
    with pytest.raises(Exception):  # noqa: B017 - no seat while unpaid
        seats.invite(licence, "early@acme.example")
    stripe_webhooks.duplicate()
    emulator.control.pay_invoice(licence.stripe_invoice_id)
    stripe_webhooks.deliver()
    licence.refresh_from_db()
    assert licence.status == Licence.Status.ACTIVE and licence.keys.filter(superseded_at__isnull=True).count() == 1
    assert LicenceEvent.objects.filter(licence=licence, kind="status_active").count() == 1


def test_card_licence_pays_through_checkout_with_the_seats_as_quantity(stripe_webhooks, emulator):
    quote, version = sent_quote(seats=12, unit_price=9900, discount_bps=333, payment_method="card")
    licence, buyer = _accept(version, quote)
    stripe_webhooks.hold()  # every event of the payment is delivered later, shuffled and duplicated
    stripe_webhooks.duplicate()
    start = payments.start_payment(licence, buyer)
    session_id = start.redirect_url.rsplit("/", 1)[1]
    items = emulator.stripe_client().v1.checkout.sessions.line_items.list(session_id).data
    assert [(i.quantity, i.amount_total) for i in items] == [(12, version.total)]
    assert pay(start.redirect_url).ok
    licence.refresh_from_db()
    assert licence.status == Licence.Status.PENDING_PAYMENT  # nothing until Stripe says so
    stripe_webhooks.deliver()
    licence.refresh_from_db()
    assert licence.status == Licence.Status.ACTIVE and licence.paid_at is not None
    assert _stripe_invoice(emulator, licence).amount_paid == version.total == 12 * 9570
    assert LicenceEvent.objects.filter(licence=licence, kind="status_active").count() == 1
    assert licence.keys.count() == 1


def test_an_unpaid_invoice_suspends_the_licence_14_days_after_its_due_date(stripe_webhooks, emulator):
    quote, version = sent_quote(seats=5)
    licence, buyer = _accept(version, quote)
    payments.start_payment(licence, buyer)
    stripe_webhooks.deliver()
    licence.refresh_from_db()
    member = VerifiedUserFactory(email="m@acme.example")
    _, raw = seats.invite(licence, member.email)
    seats.accept_invitation(raw, member)
    assert has_feature(member, "pro_library")
    due = licence.invoice_due_at
    with time_machine.travel(due + timedelta(days=13, hours=23)):
        assert licences.suspend_unpaid() == 0
        stripe_webhooks.deliver()  # invoice.overdue went out on the way (the emulator's clock moved too)
        assert [d for d in stripe_webhooks.deliveries() if d["type"] == "invoice.overdue"]
    with time_machine.travel(due + timedelta(days=14, hours=1)):
        assert licences.suspend_unpaid() == 1
        assert licences.suspend_unpaid() == 0
        licence.refresh_from_db()
        assert licence.status == Licence.Status.SUSPENDED and licence.suspension_reason == payments.UNPAID
        assert not has_feature(member, "pro_library")
        emulator.control.pay_invoice(licence.stripe_invoice_id)
        stripe_webhooks.deliver()
        licence.refresh_from_db()
        assert licence.status == Licence.Status.ACTIVE and has_feature(member, "pro_library")


def test_adding_seats_mid_term_charges_the_previewed_proration(stripe_webhooks, emulator):
    quote, version = sent_quote(seats=10, unit_price=12000, payment_method="card")
    licence, buyer = _accept(version, quote)
    assert pay(payments.start_payment(licence, buyer).redirect_url).ok
    stripe_webhooks.deliver()
    licence.refresh_from_db()
    preview = licences.preview_seat_change(licence, 15)
    assert 0 < preview.amount_due_now <= 5 * 12000
    licence = licences.change_seats(licence, 15, proration_date=preview.proration_date)
    stripe_webhooks.deliver()
    licence.refresh_from_db()
    assert licence.seats == 15
    invoices = emulator.stripe_client().v1.invoices.list(params={"subscription": licence.stripe_subscription_id}).data
    assert invoices[0].billing_reason == "subscription_update" and invoices[0].amount_paid == preview.amount_due_now
    # Fewer seats wait for the renewal and never go below the seats in use.
    with pytest.raises(Exception):  # noqa: B017
        licences.preview_seat_change(licence, 0)
    licence = licences.change_seats(licence, 12)
    assert licence.seats == 15 and licence.seats_next_term == 12
