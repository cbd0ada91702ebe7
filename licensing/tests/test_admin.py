"""The console: every licensing action declares its permission; the Sales group works quotes, Finance suspends,
Support raises the revocation cap and verifies domains; nobody else may."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from accounts.tests.factories import StaffUserFactory, SuperUserFactory
from licensing.models import Licence, Quote, SigningKey
from licensing.services import keys

from .factories import QuoteFactory, sent_quote

pytestmark = pytest.mark.django_db

GROUPS = ["Sales", "Finance", "Support", "Content review"]


def staff(group: str):
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name=group))
    return user


def _action(client, url, action, pks, **data):
    return client.post(url, {"action": action, "_selected_action": [str(pk) for pk in pks], **data})


@pytest.mark.parametrize(
    "group, may",
    [("Sales", True), ("Finance", False), ("Support", False), ("Content review", False)],
)
def test_only_sales_prepares_sends_and_closes_quotes(client, group, may, django_capture_on_commit_callbacks):
    quote = QuoteFactory()
    client.force_login(staff(group))
    page = client.get(f"/admin/licensing/quote/{quote.pk}/prepare/")
    assert page.status_code == (200 if may else 403)
    data = {"seats": 20, "unit_price": "120.00", "currency": "usd", "discount_percent": "10", "term_months": 12,
            "payment_method": "invoice", "start_on_acceptance": "on", "valid_until": "2099-01-01", "notes": "",
            "save_and_send": "1"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/licensing/quote/{quote.pk}/prepare/", data)
    quote.refresh_from_db()
    if may:
        assert response.status_code == 302 and quote.status == Quote.Status.QUOTED
        assert quote.versions.get().total == 20 * 10800 and "$2,160.00" in mail.outbox[-1].body
        response = _action(client, "/admin/licensing/quote/", "mark_lost", [quote.pk], apply="1", reason="Budget cut")
        quote.refresh_from_db()
        assert quote.status == Quote.Status.LOST
    else:
        assert response.status_code == 403 and quote.status == Quote.Status.REQUESTED
        _action(client, "/admin/licensing/quote/", "mark_lost", [quote.pk], apply="1", reason="x")
        quote.refresh_from_db()
        assert quote.status == Quote.Status.REQUESTED


@pytest.mark.parametrize(
    "action, data, allowed",
    [
        ("suspend", {"reason": "Unpaid"}, {"Finance"}),
        ("extend", {"reason": "Goodwill", "until": "2099-01-01"}, {"Sales"}),
        ("raise_cap", {"reason": "Reorganisation", "extra": 2}, {"Sales", "Support"}),
    ],
)
def test_licence_actions_per_group(client, licence, action, data, allowed):
    for group in GROUPS:
        Licence.objects.filter(pk=licence.pk).update(status="active", suspended_at=None)
        before = Licence.objects.get(pk=licence.pk)
        client.force_login(staff(group))
        _action(client, "/admin/licensing/licence/", action, [licence.pk], apply="1", **data)
        after = Licence.objects.get(pk=licence.pk)
        changed = (after.status, after.ends_at, after.revocation_cap_extra) != (
            before.status, before.ends_at, before.revocation_cap_extra,
        )  # fmt: skip
        assert changed == (group in allowed), (action, group)
        if changed:
            assert after.events.filter(reason=data["reason"]).exists()


def test_an_action_without_a_reason_changes_nothing(client, licence):
    client.force_login(staff("Finance"))
    response = _action(client, "/admin/licensing/licence/", "suspend", [licence.pk], apply="1", reason="")
    assert response.status_code == 200  # the form again, asking for the reason
    assert Licence.objects.get(pk=licence.pk).status == "active"


def test_only_superusers_rotate_and_retire_signing_keys(client):
    first = keys.signing_key()
    for group in GROUPS:
        client.force_login(staff(group))
        assert client.post("/admin/licensing/signingkey/rotate/", {"reason": "x"}).status_code in (403, 302)
        assert SigningKey.objects.count() == 1
    client.force_login(SuperUserFactory())
    assert client.post("/admin/licensing/signingkey/rotate/", {"reason": "Yearly"}).status_code == 302
    assert SigningKey.objects.get(pk=first.pk).status == "verify_only"
    _action(client, "/admin/licensing/signingkey/", "retire", [first.pk], apply="1", reason="Done")
    assert SigningKey.objects.get(pk=first.pk).status == "retired"


def test_the_console_lists_show_money_formatted(client, licence):
    sent_quote(seats=25, unit_price=12000)
    client.force_login(SuperUserFactory())
    assert "$3,000.00" in client.get("/admin/licensing/quote/").content.decode()
    assert "$1,200.00" in client.get("/admin/licensing/licence/").content.decode()
    for model in ["organisation", "membership", "organisationdomain", "quoteversion", "seat", "licenceevent",
                  "activation", "organisationapikey", "signingkey"]:  # fmt: skip
        assert client.get(f"/admin/licensing/{model}/").status_code == 200, model
