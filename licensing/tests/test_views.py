"""Pages: Talk to sales (with the CAPTCHA), the quote page, invitations, and the organisation pages, where an
admin of one organisation can neither read nor change another's."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import VerifiedUserFactory, solved_captcha
from licensing.models import Membership, Quote, Seat
from licensing.services import seats

from .factories import MembershipFactory, sent_quote

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["members/", "seats/", "billing/", "integrations/", "billing/seats/?seats=12"]
ADMIN_POSTS = [
    ("seats/invite/", {"email": "x@acme.example"}),
    ("seats/import/", {}),
    ("seats/1/revoke/", {}),
    ("seats/1/resend/", {}),
    ("seats/1/cancel/", {}),
    ("members/1/role/", {"role": "admin"}),
    ("domains/", {"domain": "acme.example"}),
    ("billing/pay/", {}),
    ("billing/seats/", {"seats": 12}),
    ("integrations/keys/", {"name": "x", "scopes": ["seats:read"]}),
    ("integrations/keys/1/revoke/", {}),
]


def test_talk_to_sales_needs_the_captcha_and_confirms_by_mail(client, django_capture_on_commit_callbacks):
    data = {
        "company": "Acme Ltd", "contact_name": "Carla", "contact_email": "carla@acme.example", "seats": 40,
        "term_months": 24, "payment_method": "invoice", "message": "",
    }  # fmt: skip
    response = client.post("/enterprise/quote/", data)
    assert response.status_code == 200 and "security check" in response.content.decode().lower()
    assert not Quote.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/enterprise/quote/", {**data, "captcha": solved_captcha()})
    assert response.status_code == 302 and response["Location"] == "/enterprise/quote/sent/"
    quote = Quote.objects.get()
    assert (quote.company, quote.seats_wanted, quote.term_months) == ("Acme Ltd", 40, 24)
    assert mail.outbox[-1].to == ["carla@acme.example"]


@pytest.mark.parametrize("seats_wanted", [0, 10_001, "many"])
def test_talk_to_sales_refuses_bad_seat_counts(client, seats_wanted):
    response = client.post("/enterprise/quote/", {"company": "A", "contact_name": "C", "contact_email": "c@a.example",
                                                  "seats": seats_wanted, "term_months": 12, "payment_method": "card",
                                                  "captcha": solved_captcha()})  # fmt: skip
    assert response.status_code == 200 and not Quote.objects.exists()


def test_the_pricing_page_links_enterprise_to_sales(client):
    assert 'href="/enterprise/quote/"' in client.get("/pricing/").content.decode()


def test_the_quote_page_needs_sign_in_and_shows_the_exact_total(client):
    quote, version = sent_quote(seats=25, unit_price=12000, discount_bps=1000)
    url = f"/quotes/{quote.token}/"
    assert client.get(url).status_code == 302
    client.force_login(VerifiedUserFactory())
    page = client.get(url).content.decode()
    assert "$2,700.00" in page and "Accept and receive the invoice" in page
    assert client.get("/quotes/not-a-real-token-at-all-xxxxxxxx/").status_code == 404


def test_an_admin_of_another_organisation_can_neither_read_nor_change_it(client, licence, org, other_admin):
    seat, _ = seats.invite(licence, "x@acme.example")
    client.force_login(other_admin)
    for page in ["", *ADMIN_PAGES]:
        assert client.get(f"/orgs/acme/{page}").status_code == 404, page
    for path, data in ADMIN_POSTS:
        path = path.replace("/1/", f"/{seat.pk}/") if "seats/" in path else path
        assert client.post(f"/orgs/acme/{path}", data).status_code == 404, path
    seat.refresh_from_db()
    assert seat.status == Seat.Status.INVITED and not Membership.objects.filter(user=other_admin, organisation=org)


def test_a_member_sees_the_overview_but_no_admin_page(client, licence, org):
    member = MembershipFactory(organisation=org, role="member").user
    client.force_login(member)
    assert client.get("/orgs/acme/").status_code == 200
    for page in ADMIN_PAGES:
        assert client.get(f"/orgs/acme/{page}").status_code == 403, page
    for path, data in ADMIN_POSTS:
        assert client.post(f"/orgs/acme/{path}", data).status_code == 403, path


def test_anonymous_visitors_are_sent_to_sign_in(client, licence):
    for page in ["", *ADMIN_PAGES]:
        response = client.get(f"/orgs/acme/{page}")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_admin_pages_work_for_an_admin(client, licence, org_admin):
    client.force_login(org_admin)
    for page in ["", "members/", "seats/", "billing/", "integrations/"]:
        assert client.get(f"/orgs/acme/{page}").status_code == 200, page


def test_invite_and_csv_from_the_seats_page(client, licence, org_admin, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/orgs/acme/seats/invite/", {"email": "ada@acme.example"})
    assert response.status_code == 302 and mail.outbox[-1].to == ["ada@acme.example"]
    bad = SimpleUploadedFile("people.csv", b"email\nbob@acme.example\nnope\n", content_type="text/csv")
    response = client.post("/orgs/acme/seats/import/", {"file": bad})
    page = response.content.decode()
    assert response.status_code == 400 and "Nothing was imported" in page and "Not an e-mail address." in page
    assert not Seat.objects.filter(email="bob@acme.example").exists()
    good = SimpleUploadedFile("people.csv", b"email\nbob@acme.example\n", content_type="text/csv")
    assert client.post("/orgs/acme/seats/import/", {"file": good}).status_code == 302
    assert Seat.objects.filter(email="bob@acme.example", status="invited").exists()


def test_the_seats_page_reads_a_fixed_number_of_queries(client, licence, org_admin):
    client.force_login(org_admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/orgs/acme/seats/").status_code == 200
        return len(ctx.captured_queries)

    seats.invite(licence, "one@acme.example")
    few = count()
    for n in range(8):
        person = VerifiedUserFactory(email=f"p{n}@acme.example")
        _, raw = seats.invite(licence, person.email)
        if n % 2:
            seats.accept_invitation(raw, person)
    assert count() == few


def test_an_invitation_page_asks_for_the_invited_account(client, licence, person):
    _, raw = seats.invite(licence, person.email)
    client.force_login(VerifiedUserFactory(email="other@example.com"))
    assert "Sign in with that address" in client.get(f"/invitations/{raw}/").content.decode()
    client.force_login(person)
    response = client.post(f"/invitations/{raw}/")
    assert response.status_code == 302 and response["Location"] == "/orgs/acme/"
    assert client.get(f"/invitations/{raw}/").status_code == 404
