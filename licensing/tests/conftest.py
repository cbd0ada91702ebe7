import importlib

import pytest
from django.apps import apps as django_apps

from accounts.tests.factories import VerifiedUserFactory

from .factories import LicenceFactory, MembershipFactory, OrganisationFactory


@pytest.fixture(autouse=True)
def _tiers(request):
    """The Enterprise tier and its features (a transactional test's flush removes the seeded rows)."""
    names = set(request.fixturenames)
    if request.node.get_closest_marker("django_db") or names & {"db", "transactional_db", "live_server"}:
        if not request.node.get_closest_marker("django_db"):
            request.getfixturevalue("transactional_db" if names & {"transactional_db", "live_server"} else "db")
        importlib.import_module("subscriptions.migrations.0002_seed_tiers_and_features").seed(django_apps, None)


@pytest.fixture
def org(db):
    return OrganisationFactory(name="Acme", slug="acme")


@pytest.fixture
def org_admin(org):
    return MembershipFactory(organisation=org, role="admin").user


@pytest.fixture
def licence(org):
    return LicenceFactory(organisation=org)


@pytest.fixture
def other_org(db):
    return OrganisationFactory(name="Globex", slug="globex")


@pytest.fixture
def other_admin(other_org):
    """An admin of another organisation: must see nothing of Acme's."""
    LicenceFactory(organisation=other_org)
    return MembershipFactory(organisation=other_org, role="owner").user


@pytest.fixture
def person(db):
    return VerifiedUserFactory(email="member@acme.example")
