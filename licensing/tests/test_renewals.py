"""Renewals: notices 60, 30 and 7 days before the end (once each, time travel), a renewal through Stripe with
a changed seat count (the emulator's test clock), cancelling at term end, expiry ending entitlements and
telling the members; the renewal API."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from rest_framework.test import APIClient

from accounts.tests.factories import VerifiedUserFactory
from billing.tests.support import pay
from licensing.models import Licence, RenewalNotice, Seat
from licensing.services import licences, payments, quotes, renewals, seats
from subscriptions.interface import Entitlement, has_feature

from .factories import MembershipFactory, OrganisationFactory, sent_quote

DAY = timedelta(days=1)


def notices(address: str) -> list[str]:
    return [m.subject for m in mail.outbox if address in m.to and "renews in" in m.subject]


@pytest.mark.django_db
def test_renewal_notices_60_30_and_7_days_before_once_each(org, licence, org_admin, django_capture_on_commit_callbacks):
    MembershipFactory(organisation=org, role="member", user=VerifiedUserFactory(email="m@acme.example"))
    end = licence.ends_at
    for days_before, expected in [(61, 0), (59, 1), (58, 0), (31, 0), (29.5, 1), (10, 0), (6.9, 1), (1, 0)]:
        with time_machine.travel(end - timedelta(days=days_before), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                assert renewals.send_renewal_notices() == expected, days_before
                assert renewals.send_renewal_notices() == 0
    assert notices(org_admin.email) == [
        "Your Lyceum Enterprise licence renews in 60 days",
        "Your Lyceum Enterprise licence renews in 30 days",
        "Your Lyceum Enterprise licence renews in 7 days",
    ]
    assert notices("m@acme.example") == []  # members are not billed: admins only
    [sixty] = [m for m in mail.outbox if m.subject.endswith("60 days")]
    assert "10 seats at $120.00 per seat for the term" in sixty.body and "Total: $1,200.00" in sixty.body
    assert "$1,200.00" in sixty.alternatives[0][0]
    assert list(RenewalNotice.objects.values_list("days_before", flat=True)) == [60, 30, 7]


@pytest.mark.django_db
def test_a_late_beat_sends_only_the_notice_of_its_window_and_a_cancelled_licence_none(
    org, licence, org_admin, django_capture_on_commit_callbacks
):
    with time_machine.travel(licence.ends_at - 20 * DAY, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert renewals.send_renewal_notices() == 1
    assert notices(org_admin.email) == ["Your Lyceum Enterprise licence renews in 30 days"]
    renewals.cancel_at_term_end(licence, by=org_admin, reason="Budget cut")
    with time_machine.travel(licence.ends_at - 5 * DAY, tick=False):
        assert renewals.send_renewal_notices() == 0


@pytest.mark.django_db
def test_cancelling_needs_a_reason_and_the_licence_ends_at_its_term_end_telling_members(
    org, licence, org_admin, person, django_capture_on_commit_callbacks
):
    _, raw = seats.invite(licence, person.email)
    seats.accept_invitation(raw, person)
    with pytest.raises(Exception, match="why"):
        renewals.cancel_at_term_end(licence, by=org_admin, reason="  ")
    licence = renewals.cancel_at_term_end(licence, by=org_admin, reason="We moved to another provider")
    assert licence.cancel_at_term_end and licence.cancellation_reason == "We moved to another provider"
    assert licence.events.filter(kind="cancel_at_term_end", reason="We moved to another provider").exists()
    with pytest.raises(Exception, match="already"):
        renewals.cancel_at_term_end(licence, by=org_admin, reason="Again")
    assert has_feature(person, "pro_library")  # until the end
    with time_machine.travel(licence.ends_at + timedelta(minutes=5), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert licences.expire_ended() == 1
        assert not has_feature(person, "pro_library")
    licence.refresh_from_db()
    assert licence.status == Licence.Status.EXPIRED
    assert Seat.objects.filter(licence=licence, user=person).exists()  # data stays for a later renewal
    assert [m.to for m in mail.outbox if m.subject == "Acme's Lyceum Enterprise licence has ended"] == [[person.email]]
    assert (
        not Entitlement.objects.filter(user=person, revoked_at__isnull=True)
        .exclude(tier__code="free")
        .filter(valid_until__gt=licence.ends_at + timedelta(minutes=5))
        .exists()
    )


@pytest.mark.django_db
def test_resume_takes_the_cancellation_back(licence, org_admin):
    licence = renewals.cancel_at_term_end(licence, by=org_admin, reason="Budget")
    licence = renewals.resume(licence, by=org_admin)
    assert not licence.cancel_at_term_end and licence.cancellation_reason == ""
    with pytest.raises(Exception, match="renews already"):
        renewals.resume(licence, by=org_admin)


@pytest.mark.django_db(transaction=True)
def test_renewal_with_fewer_seats_moves_the_end_and_every_seats_access(stripe_webhooks, emulator):
    client = emulator.stripe_client()
    start = int(time.time())
    with time_machine.travel(datetime.fromtimestamp(start, tz=UTC), tick=True) as traveller:
        test_clock = client.test_helpers.test_clocks.create(params={"frozen_time": start}).id
        org = OrganisationFactory(name="Initech", slug="initech")
        org.stripe_customer_id = client.customers.create(
            params={"email": org.billing_email, "name": org.name, "test_clock": test_clock}
        ).id
        org.save()
        quote, version = sent_quote(seats=10, unit_price=12000, payment_method="card")
        quote.organisation = org
        quote.save()
        buyer = VerifiedUserFactory(email="buyer@initech.example")
        MembershipFactory(organisation=org, user=buyer, role="owner")
        licence = quotes.accept_quote(quote, version_id=version.pk, user=buyer, accept_terms=True)
        assert pay(payments.start_payment(licence, buyer).redirect_url).ok
        stripe_webhooks.deliver()
        licence.refresh_from_db()
        assert licence.status == Licence.Status.ACTIVE and licence.organisation == org
        member = VerifiedUserFactory(email="m@initech.example")
        _, raw = seats.invite(licence, member.email)
        seats.accept_invitation(raw, member)
        first_end = licence.ends_at
        licences.change_seats(licence, 6)  # fewer seats from the renewal
        licence.refresh_from_db()
        assert (licence.seats, licence.seats_next_term) == (10, 6)
        assert renewals.preview(licence).total == 6 * 12000

        target = int(first_end.timestamp()) + 3600
        traveller.move_to(datetime.fromtimestamp(target, tz=UTC))
        client.test_helpers.test_clocks.advance(test_clock, params={"frozen_time": target})
        stripe_webhooks.deliver()
        licence.refresh_from_db()
        assert (licence.seats, licence.seats_next_term, licence.term_number) == (6, None, 2)
        assert licence.ends_at > first_end + timedelta(days=364) and licence.status == Licence.Status.ACTIVE
        renewal_invoice = client.invoices.list(params={"subscription": licence.stripe_subscription_id}).data[0]
        assert renewal_invoice.billing_reason == "subscription_cycle"
        assert renewal_invoice.amount_paid == 6 * 12000 and renewal_invoice.lines.data[0].quantity == 6
        [grant] = Entitlement.objects.filter(user=member, revoked_at__isnull=True)
        assert grant.valid_until == licence.ends_at and has_feature(member, "pro_library")


# The renewal API ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_renewal_api_for_admins_only(org, licence, org_admin, other_admin):
    api = APIClient()
    url = "/api/v1/orgs/acme/renewal/"
    assert api.get(url).status_code == 401
    member = MembershipFactory(organisation=org, role="member").user
    api.force_authenticate(member)
    assert api.get(url).status_code == 403
    api.force_authenticate(other_admin)
    assert api.get(url).status_code == 404
    assert api.post(url + "seats/", {"seats": 5}, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 404
    api.force_authenticate(org_admin)
    body = api.get(url).json()
    assert body["renewal"] | {"renews_at": None} == {"renews_at": None, "cancel_at_term_end": False, "seats": 10,
        "seats_in_use": 0, "currency": "usd", "unit_amount": 12000, "total": 120000}  # fmt: skip
    for bad in ("0", "x", "10001"):
        error = api.get(url, {"seats": bad}).json()["error"]
        assert error["code"] and "seats" in error["fields"]
    # A licence without Stripe cannot change seats: a clear 409, never a 500.
    response = api.post(url + "seats/", {"seats": 5}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert response.status_code == 409 and response.json()["error"]["code"] == "licence_not_active"
    assert api.post(url + "seats/", {"seats": 0}, format="json", HTTP_IDEMPOTENCY_KEY="k3").status_code == 400


@pytest.mark.django_db
def test_the_billing_page_cancels_at_term_end_with_a_reason(client, org, licence, org_admin):
    client.force_login(org_admin)
    page = client.get("/orgs/acme/billing/").content.decode()
    assert "Renews on" in page and "10 seats at $120.00 each" in page and "$1,200.00" in page
    client.post("/orgs/acme/billing/renewal/", {"reason": ""})
    licence.refresh_from_db()
    assert not licence.cancel_at_term_end
    client.post("/orgs/acme/billing/renewal/", {"reason": "Budget cut"})
    licence.refresh_from_db()
    assert licence.cancel_at_term_end and licence.cancellation_reason == "Budget cut"
    assert "will not renew" in client.get("/orgs/acme/billing/").content.decode()
    client.post("/orgs/acme/billing/renewal/", {"resume": "1"})
    licence.refresh_from_db()
    assert not licence.cancel_at_term_end
    member = MembershipFactory(organisation=org, role="member").user
    client.force_login(member)
    assert client.post("/orgs/acme/billing/renewal/", {"reason": "x"}).status_code == 403


def test_the_schema_documents_the_renewal_api(db):
    paths = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    get = paths["/api/v1/orgs/{slug}/renewal/"]["get"]
    post = paths["/api/v1/orgs/{slug}/renewal/seats/"]["post"]
    assert {"401", "403", "404"} <= set(get["responses"]) and {"400", "409"} <= set(post["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    assert "example" in str(get) and "example" in str(post)
