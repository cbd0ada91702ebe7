import io

import pytest
from django.core.management import call_command

from licensing.interface import seats_in_use_total
from licensing.models import Licence, Membership, Seat
from subscriptions.interface import has_feature

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_an_organisation_with_an_active_licence_once(client):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    licence = Licence.objects.get()
    assert licence.status == "active" and licence.seats_in_use == 3
    admin = Membership.objects.get(user__email="orgadmin@lyceum.test")
    assert admin.role == "owner" and admin.organisation.slug == "acme-learning"
    member = Seat.objects.filter(status="active").first().user
    assert has_feature(member, "pro_library")
    assert seats_in_use_total() == {"seats": 25, "in_use": 3, "licences": 1}
    client.force_login(admin.user)
    for page in ["", "members/", "seats/", "billing/", "integrations/"]:
        assert client.get(f"/orgs/acme-learning/{page}").status_code == 200
