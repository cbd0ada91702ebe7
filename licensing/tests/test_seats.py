"""Seats: invitations (single use, 30 days), CSV import, the revocation cap, entitlements following seats."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, close_old_connections, connection
from django.utils import timezone

from accounts.tests.factories import VerifiedUserFactory
from config.errors import DomainError
from licensing.models import Licence, Membership, Seat
from licensing.services import licences, seats
from subscriptions.interface import current_tier_code, has_feature

from .factories import LicenceFactory

pytestmark = pytest.mark.django_db


def _invite_and_accept(licence, user):
    _, raw = seats.invite(licence, user.email)
    return seats.accept_invitation(raw, user)


def test_an_accepted_invitation_gives_the_member_enterprise_until_the_licence_ends(
    licence, person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        seat, raw = seats.invite(licence, "Member@Acme.example")
    assert seat.status == Seat.Status.INVITED and seat.email == "member@acme.example"
    assert seats.invitation_url(raw) in mail.outbox[-1].body
    assert not has_feature(person, "pro_library")
    seat = seats.accept_invitation(raw, person)
    licence.refresh_from_db()
    assert seat.status == Seat.Status.ACTIVE and licence.seats_in_use == 1
    assert has_feature(person, "priority_support") and current_tier_code(person) == "enterprise"
    assert Membership.objects.get(user=person, organisation=licence.organisation).role == "member"
    entitlement = person.entitlements.get()
    assert entitlement.valid_until == licence.ends_at and entitlement.source == "licence_seat"


def test_an_invitation_link_works_once(licence, person):
    _, raw = seats.invite(licence, person.email)
    seats.accept_invitation(raw, person)
    with pytest.raises(DomainError) as exc:
        seats.accept_invitation(raw, person)
    assert exc.value.status_code == 404


def test_an_invitation_expires_after_30_days_and_a_resend_gives_a_fresh_link(
    licence, person, django_capture_on_commit_callbacks
):
    seat, raw = seats.invite(licence, person.email)
    with time_machine.travel(timezone.now() + timedelta(days=30, seconds=1)):
        with pytest.raises(DomainError) as exc:
            seats.accept_invitation(raw, person)
        assert exc.value.code == "invitation_expired"
        with django_capture_on_commit_callbacks(execute=True):
            seats.resend_invitation(licence, seat.pk)
        new_raw = mail.outbox[-1].body.split("/invitations/")[1].split("/")[0]
        with pytest.raises(DomainError):
            seats.accept_invitation(raw, person)  # the old link is dead
        assert seats.accept_invitation(new_raw, person).status == Seat.Status.ACTIVE


def test_only_the_invited_address_can_accept(licence, person):
    _, raw = seats.invite(licence, person.email)
    with pytest.raises(DomainError) as exc:
        seats.accept_invitation(raw, VerifiedUserFactory(email="someone@else.example"))
    assert exc.value.code == "wrong_account"


def test_a_cancelled_invitation_cannot_be_accepted(licence, person):
    seat, raw = seats.invite(licence, person.email)
    seats.cancel_invitation(licence, seat.pk)
    with pytest.raises(DomainError):
        seats.accept_invitation(raw, person)
    assert Seat.objects.get(pk=seat.pk).status == Seat.Status.UNASSIGNED


def test_the_same_person_cannot_be_invited_twice(licence):
    seats.invite(licence, "a@acme.example")
    with pytest.raises(DomainError) as exc:
        seats.invite(licence, "A@acme.example")
    assert exc.value.code == "already_invited"


def test_no_seat_beyond_the_licence(licence):
    licence.seats = 1
    licence.save()
    first, second = VerifiedUserFactory(), VerifiedUserFactory()
    _, raw1 = seats.invite(licence, first.email)
    _, raw2 = seats.invite(licence, second.email)  # invitations hold no seat
    seats.accept_invitation(raw1, first)
    with pytest.raises(DomainError) as exc:
        seats.accept_invitation(raw2, second)
    assert exc.value.code == "no_free_seat"
    assert not has_feature(second, "pro_library")
    assert Seat.objects.get(email=second.email).status == Seat.Status.INVITED  # can accept once a seat frees


def test_the_database_refuses_more_seats_in_use_than_bought(licence):
    with pytest.raises(IntegrityError):
        Licence.objects.filter(pk=licence.pk).update(seats_in_use=licence.seats + 1)


def test_csv_invites_everyone_or_no_one_and_lists_each_bad_row(licence):
    seats.invite(licence, "taken@acme.example")
    text = "email\nada@acme.example\nnot-an-email\nbob@acme.example\nADA@acme.example\ntaken@acme.example\n\n"
    result = seats.import_csv(licence, text)
    assert not result.ok and result.invited == []
    assert [(e["line"], e["message"]) for e in result.errors] == [
        (3, "Not an e-mail address."),
        (5, "Repeats line 2."),
        (6, "taken@acme.example is already invited."),
    ]
    assert Seat.objects.filter(licence=licence).count() == 1  # nothing half-imported
    result = seats.import_csv(licence, "ada@acme.example\nbob@acme.example\n")
    assert result.ok and sorted(s.email for s in result.invited) == ["ada@acme.example", "bob@acme.example"]


def test_csv_of_more_than_1000_rows_is_refused(licence):
    result = seats.import_csv(licence, "\n".join(f"p{n}@acme.example" for n in range(1001)))
    assert not result.ok and "at most 1000" in result.errors[0]["message"]
    assert not Seat.objects.exists()


def test_csv_of_1000_rows_is_imported(licence):
    licence.seats = 1000
    licence.save()
    result = seats.import_csv(licence, "\n".join(f"p{n}@acme.example" for n in range(1000)))
    assert result.ok and Seat.objects.filter(status="invited").count() == 1000


def test_revocation_ends_access_at_once_and_is_capped_at_10_percent_per_term(licence):
    members = [VerifiedUserFactory() for _ in range(3)]
    active = [_invite_and_accept(licence, m) for m in members]
    assert all(has_feature(m, "pro_library") for m in members)
    seats.revoke(licence, active[0].pk, reason="Left the company")
    assert not has_feature(members[0], "pro_library")  # the cache was dropped
    licence.refresh_from_db()
    assert licence.seats_in_use == 2
    with pytest.raises(DomainError) as exc:  # 10 seats: 1 revocation per term
        seats.revoke(licence, active[1].pk)
    assert exc.value.code == "revocation_cap_reached"
    assert has_feature(members[1], "pro_library")
    licences.raise_revocation_cap(licence, extra=1, by=None, reason="Reorganisation at the customer")
    seats.revoke(licence, active[1].pk)
    assert not has_feature(members[1], "pro_library")


def test_the_cap_is_10_percent_of_the_seats():
    from licensing import selectors

    assert selectors.revocation_cap(Licence(seats=9)) == 1
    assert selectors.revocation_cap(Licence(seats=250)) == 25


def test_suspension_and_the_licence_end_end_every_seats_access(licence):
    members = [VerifiedUserFactory() for _ in range(2)]
    for m in members:
        _invite_and_accept(licence, m)
    licences.suspend(licence, reason="Invoice unpaid")
    assert not any(has_feature(m, "pro_library") for m in members)
    licences.reinstate(licence, by=None, reason="Paid by bank transfer")
    assert all(has_feature(m, "pro_library") for m in members)
    with time_machine.travel(licence.ends_at + timedelta(seconds=1)):
        assert not any(has_feature(m, "pro_library") for m in members)  # the entitlement runs out with it
        assert licences.expire_ended() == 1
    licence.refresh_from_db()
    assert licence.status == Licence.Status.EXPIRED


def test_an_extension_moves_every_seats_access(licence):
    member = VerifiedUserFactory()
    _invite_and_accept(licence, member)
    until = licence.ends_at + timedelta(days=30)
    licences.extend(licence, until=until, by=None, reason="Goodwill for the outage")
    with time_machine.travel(until - timedelta(days=1)):
        assert has_feature(member, "pro_library")


def test_seats_are_refused_on_a_licence_that_is_not_active(org):
    pending = LicenceFactory(organisation=org, status=Licence.Status.PENDING_PAYMENT)
    with pytest.raises(DomainError) as exc:
        seats.invite(pending, "a@acme.example")
    assert exc.value.code == "licence_not_active"


def test_a_verified_auto_seat_domain_gives_a_seat_on_confirmation(licence):
    from allauth.account.models import EmailAddress
    from allauth.account.signals import email_confirmed

    from licensing.services import organisations

    domain = organisations.add_domain(licence.organisation, "acme.example", auto_seat=True)
    newcomer = VerifiedUserFactory(email="new@acme.example")
    address = EmailAddress.objects.get(user=newcomer)
    email_confirmed.send(sender=EmailAddress, request=None, email_address=address)
    assert not Seat.objects.exists()  # not verified yet
    organisations.verify_domain(domain, by=None, note="TXT record checked")
    email_confirmed.send(sender=EmailAddress, request=None, email_address=address)
    assert Seat.objects.get().source == Seat.Source.DOMAIN and has_feature(newcomer, "pro_library")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_50_concurrent_acceptances_for_10_free_seats_give_exactly_10_active_seats():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    licence = LicenceFactory(seats=10)
    people = [VerifiedUserFactory() for _ in range(50)]
    links = [seats.invite(licence, p.email)[1] for p in people]
    barrier = threading.Barrier(50)
    outcomes: list[str] = []

    def accept(raw, user):
        try:
            barrier.wait()
            seats.accept_invitation(raw, user)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=accept, args=pair) for pair in zip(links, people, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    licence.refresh_from_db()
    assert outcomes.count("ok") == 10 and outcomes.count("no_free_seat") == 40
    assert licence.seats_in_use == 10 == Seat.objects.filter(status="active").count()
    assert sum(has_feature(p, "pro_library") for p in people) == 10
