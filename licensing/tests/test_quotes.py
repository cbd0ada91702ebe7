"""Quotes: the price rule, and the state machine requested → quoted → accepted / expired / lost."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from accounts.tests.factories import VerifiedUserFactory
from config.errors import DomainError
from licensing.models import Licence, Membership, Quote, QuoteVersion
from licensing.services import quotes

from .factories import QuoteFactory, sent_quote

pytestmark = pytest.mark.django_db


def test_price_is_list_times_years_less_discount_rounded_down_per_seat_then_times_seats():
    pricing = quotes.price(seats=37, unit_price=9999, discount_bps=1250, term_months=36)
    assert pricing.list_amount == 29997  # 3 years
    assert pricing.unit_amount == 26247  # 29997 × 0.875 = 26247.375, down to a cent
    assert pricing.total == 26247 * 37


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"seats": 0}, "seats"),
        ({"seats": 10_001}, "seats"),
        ({"unit_price": 0}, "unit_price"),
        ({"discount_bps": 10_000}, "discount_bps"),
        ({"term_months": 18}, "term_months"),
        ({"seats": True}, "seats"),
    ],
)
def test_price_refuses_bad_input(kwargs, field):
    args = {"seats": 5, "unit_price": 1000, "discount_bps": 0, "term_months": 12, **kwargs}
    with pytest.raises(DomainError) as exc:
        quotes.price(**args)
    assert field in exc.value.fields


def test_the_database_keeps_a_versions_total_equal_to_unit_amount_times_seats():
    _, version = sent_quote(seats=3, unit_price=1000)
    with pytest.raises(IntegrityError):
        QuoteVersion.objects.filter(pk=version.pk).update(total=version.total + 1)


def test_request_sends_a_confirmation(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        quote = quotes.request_quote(
            company="Acme", contact_name="Carla", contact_email="Carla@Acme.example", seats=25, term_months=24,
            payment_method="invoice", message="For the whole sales team",
        )  # fmt: skip
    assert quote.status == Quote.Status.REQUESTED and quote.contact_email == "carla@acme.example"
    assert [m.to for m in mail.outbox] == [["carla@acme.example"]]
    assert quote.reference in mail.outbox[0].body


def test_prepare_then_send_makes_it_quoted_and_mails_the_exact_total_and_link(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        quote, version = sent_quote(seats=25, unit_price=12000, discount_bps=1000)
    assert quote.status == Quote.Status.QUOTED and version.total == 25 * 10800
    message = mail.outbox[-1]
    assert "$2,700.00" in message.body and quotes.quote_url(quote) in message.body
    assert "$2,700.00" in message.alternatives[0][0]


def test_a_revision_supersedes_the_old_version_which_can_no_longer_be_accepted():
    quote, v1 = sent_quote(seats=25)
    v2 = quotes.prepare_version(
        quote, seats=30, unit_price=11000, currency="usd", discount_bps=0, term_months=12,
        valid_until=timezone.now().date() + timedelta(days=10), payment_method="invoice",
    )  # fmt: skip
    v1.refresh_from_db()
    assert v1.superseded_at is not None and v2.number == 2
    buyer = VerifiedUserFactory()
    with pytest.raises(DomainError) as exc:
        quotes.accept_quote(quote, version_id=v1.pk, user=buyer, accept_terms=True)
    assert exc.value.code == "superseded"
    with pytest.raises(DomainError) as exc:  # v2 is not sent yet
        quotes.accept_quote(quote, version_id=v2.pk, user=buyer, accept_terms=True)
    assert exc.value.code == "not_sent"
    quotes.send_quote(quote)
    licence = quotes.accept_quote(quote, version_id=v2.pk, user=buyer, accept_terms=True)
    assert licence.seats == 30 and licence.status == Licence.Status.PENDING_PAYMENT
    assert Membership.objects.get(user=buyer).role == "owner"
    quote.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED and quote.accepted_version == v2


def test_an_expired_quote_cannot_be_accepted_and_the_beat_marks_it_expired():
    quote, version = sent_quote(valid_days=3)
    buyer = VerifiedUserFactory()
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        with pytest.raises(DomainError) as exc:
            quotes.accept_quote(quote, version_id=version.pk, user=buyer, accept_terms=True)
        assert exc.value.code == "quote_expired"
        assert quotes.expire_quotes() == 1
        assert quotes.expire_quotes() == 0
    quote.refresh_from_db()
    assert quote.status == Quote.Status.EXPIRED
    assert not Licence.objects.exists()


def test_accepting_needs_the_terms_and_happens_once():
    quote, version = sent_quote()
    buyer = VerifiedUserFactory()
    with pytest.raises(DomainError):
        quotes.accept_quote(quote, version_id=version.pk, user=buyer, accept_terms=False)
    quotes.accept_quote(quote, version_id=version.pk, user=buyer, accept_terms=True)
    with pytest.raises(DomainError) as exc:
        quotes.accept_quote(quote, version_id=version.pk, user=VerifiedUserFactory(), accept_terms=True)
    assert exc.value.code == "already_accepted"
    assert Licence.objects.count() == 1


def test_lost_needs_a_reason_and_closes_the_quote():
    quote, version = sent_quote()
    with pytest.raises(DomainError):
        quotes.mark_lost(quote, reason=" ")
    quotes.mark_lost(quote, reason="Chose a competitor")
    quote.refresh_from_db()
    assert quote.status == Quote.Status.LOST and quote.lost_reason == "Chose a competitor"
    with pytest.raises(DomainError):
        quotes.accept_quote(quote, version_id=version.pk, user=VerifiedUserFactory(), accept_terms=True)
    with pytest.raises(DomainError):
        quotes.prepare_version(
            quote, seats=1, unit_price=1, currency="usd", discount_bps=0, term_months=12,
            valid_until=timezone.now().date(), payment_method="card",
        )  # fmt: skip


def test_sending_needs_a_prepared_version():
    with pytest.raises(DomainError) as exc:
        quotes.send_quote(QuoteFactory())
    assert exc.value.code == "not_prepared"
